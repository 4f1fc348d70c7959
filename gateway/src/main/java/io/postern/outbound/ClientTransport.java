package io.postern.outbound;

import io.netty.channel.EventLoopGroup;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioSocketChannel;

/**
 * The client-side Netty transport: native epoll where it loads, NIO otherwise (the client twin of
 * io.postern.server.Transport, which outbound may not import). Immutable.
 */
record ClientTransport(String name, Class<? extends SocketChannel> channel, IoHandlerFactory ioHandler) {

    static ClientTransport best() {
        if (Epoll.isAvailable()) {
            return new ClientTransport("epoll", EpollSocketChannel.class, EpollIoHandler.newFactory());
        }
        return new ClientTransport("nio", NioSocketChannel.class, NioIoHandler.newFactory());
    }

    EventLoopGroup newGroup(int threads) {
        return new MultiThreadIoEventLoopGroup(threads, ioHandler);
    }
}
