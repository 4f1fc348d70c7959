package io.postern.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.postern.config.ListenerConfig;
import io.postern.config.ListenerKind;
import io.postern.config.TlsMode;
import io.postern.net.Transport;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The listening sockets on a real loopback port: every connection is served, and a fixed port
 * held by someone else stops the start instead of being shared (SO_REUSEPORT would allow that).
 */
class ListenerSetTest {
    private static final ListenerConfig ANY_PORT = listenerOn(0);

    static Stream<Transport> transports() {
        Transport nio = new Transport("nio", NioServerSocketChannel.class, NioSocketChannel.class,
                NioIoHandler.newFactory(), false);
        return Stream.of(Transport.best(), nio);
    }

    @ParameterizedTest
    @MethodSource("transports")
    void everyConnectionIsServedOnASessionLoop(Transport transport) throws Exception {
        try (ListenerSet listeners = new ListenerSet(transport, 2, new SimpleMeterRegistry())) {
            listeners.bind(ANY_PORT, Map.of(ListenerKind.MX, ListenerSetTest::greetWithThreadName));
            int port = listeners.bound().getFirst().port();
            Set<String> servingThreads = new HashSet<>();
            for (int i = 0; i < 40; i++) {
                servingThreads.add(greeting(port));
            }
            assertThat(servingThreads).allSatisfy(name -> assertThat(name).startsWith("session-io"));
            if (transport.reusePort()) {
                // One socket per loop: the kernel spreads connections by their source port over both.
                assertThat(servingThreads).hasSize(2);
            }
        }
    }

    @Test
    void aSecondNodeOnTheSamePortIsRefusedInsteadOfSharingIt() throws Exception {
        try (ListenerSet first = new ListenerSet(Transport.best(), 2, new SimpleMeterRegistry());
             ListenerSet second = new ListenerSet(Transport.best(), 2, new SimpleMeterRegistry())) {
            first.bind(ANY_PORT, Map.of(ListenerKind.MX, ListenerSetTest::greetWithThreadName));
            int port = first.bound().getFirst().port();
            assertThatThrownBy(() -> second.bind(listenerOn(port),
                    Map.of(ListenerKind.MX, ListenerSetTest::greetWithThreadName)))
                    .hasMessageContaining("Address already in use");
            assertThat(greeting(port)).startsWith("session-io"); // the first node still serves them all
        }
    }

    @Test
    void aPortAnotherProgramListensOnIsRefused() throws Exception {
        try (ServerSocket other = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
             ListenerSet listeners = new ListenerSet(Transport.best(), 2, new SimpleMeterRegistry())) {
            assertThatThrownBy(() -> listeners.bind(listenerOn(other.getLocalPort()),
                    Map.of(ListenerKind.MX, ListenerSetTest::greetWithThreadName)))
                    .hasMessageContaining("Address already in use");
        }
    }

    private static ListenerConfig listenerOn(int port) {
        return new ListenerConfig("mx", ListenerKind.MX, "127.0.0.1", port, TlsMode.NONE);
    }

    /** A protocol that says which thread serves the connection, then closes it. */
    private static void greetWithThreadName(ListenerConfig listener, Channel channel, ChannelPipeline pipeline) {
        pipeline.addLast(new ChannelInboundHandlerAdapter() {
            @Override
            public void channelActive(ChannelHandlerContext context) {
                byte[] name = (Thread.currentThread().getName() + "\r\n").getBytes(StandardCharsets.US_ASCII);
                context.writeAndFlush(Unpooled.wrappedBuffer(name)).addListener(ChannelFutureListener.CLOSE);
            }
        });
    }

    private static String greeting(int port) throws Exception {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress("127.0.0.1", port), 5_000);
            socket.setSoTimeout(5_000);
            return new BufferedReader(new InputStreamReader(socket.getInputStream(), StandardCharsets.US_ASCII))
                    .readLine();
        }
    }
}
