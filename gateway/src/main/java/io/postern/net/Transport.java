package io.postern.net;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.ServerChannel;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollChannelOption;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;

/**
 * The Netty transport of the node, for listeners and outbound clients alike: native epoll where
 * it loads, NIO otherwise. Its event loop threads are named ({@link Threads}). {@code reusePort}:
 * the transport can bind one listening socket per event loop to the same port
 * ({@code SO_REUSEPORT}), so that the loop that accepts a connection also serves it. Immutable.
 */
public record Transport(String name, Class<? extends ServerChannel> serverChannel,
                        Class<? extends SocketChannel> clientChannel, IoHandlerFactory ioHandler,
                        boolean reusePort) {

    public static Transport best() {
        if (Epoll.isAvailable()) {
            return new Transport("epoll", EpollServerSocketChannel.class, EpollSocketChannel.class,
                    EpollIoHandler.newFactory(), true);
        }
        return new Transport("nio", NioServerSocketChannel.class, NioSocketChannel.class, NioIoHandler.newFactory(), false);
    }

    /** Lets several listening sockets of this process share one port ({@link #reusePort}). */
    public void sharePort(ServerBootstrap bootstrap) {
        if (!reusePort) {
            throw new IllegalStateException(name + " cannot share a listening port");
        }
        bootstrap.option(EpollChannelOption.SO_REUSEPORT, true);
    }

    /** {@code threads} event loops whose threads are called {@code role-...}. */
    public EventLoopGroup newGroup(String role, int threads) {
        return new MultiThreadIoEventLoopGroup(threads, Threads.eventLoop(role), ioHandler);
    }
}
