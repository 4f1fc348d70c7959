package io.postern.server;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.GlobalEventExecutor;
import io.postern.config.ListenerConfig;
import io.postern.mail.SessionDrain;
import io.postern.net.Transport;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Every listening socket of a node and every connection they accepted, so that a stop can close
 * the listeners first and then wait for sessions to end. Mutable (started, then stopped once),
 * thread-safe.
 */
public final class ListenerSet implements AutoCloseable {
    private final Transport transport;
    private final EventLoopGroup boss;
    private final EventLoopGroup workers;
    private final ChannelGroup listening = new DefaultChannelGroup("listeners", GlobalEventExecutor.INSTANCE);
    private final ChannelGroup sessions = new DefaultChannelGroup("sessions", GlobalEventExecutor.INSTANCE);
    private final List<BoundListener> bound = new ArrayList<>();
    private final MeterRegistry meters;

    /** A listener and the port it really got (port 0 in tests picks a free one). */
    public record BoundListener(ListenerConfig config, int port) {
    }

    /** Counts open connections per listener in {@code postern.sessions.open{listener,kind}}. */
    public ListenerSet(Transport transport, int workerThreads, MeterRegistry meters) {
        this.meters = meters;
        this.transport = transport;
        this.workers = transport.newGroup("session-io", workerThreads);
        // With SO_REUSEPORT the session loops accept for themselves (bindPerLoop).
        this.boss = transport.reusePort() ? workers : transport.newGroup("accept", 1);
    }

    /** The protocol adds every stage of the connection, implicit TLS included (io.postern.net.ListenerStages). */
    public void bind(ListenerConfig listener, Map<io.postern.config.ListenerKind,
            ProtocolInitializer> protocols) throws InterruptedException {
        ProtocolInitializer protocol = protocols.get(listener.kind());
        if (protocol == null) {
            throw new IllegalStateException("no protocol for listener kind " + listener.kind());
        }
        AtomicInteger open = new AtomicInteger();
        Gauge.builder("postern.sessions.open", open, AtomicInteger::get)
                .description("connections open now on this listener (TLS handshakes and idle sessions included)")
                .tag("listener", listener.name()).tag("kind", listener.kind().name().toLowerCase(Locale.ROOT))
                .register(meters);
        ChannelInitializer<Channel> accepted = new ChannelInitializer<>() {
            @Override
            protected void initChannel(Channel channel) {
                sessions.add(channel);
                open.incrementAndGet();
                channel.closeFuture().addListener(f -> open.decrementAndGet());
                protocol.initialize(listener, channel, channel.pipeline());
            }
        };
        int port = transport.reusePort() ? bindPerLoop(listener, accepted) : bindOne(listener, accepted, boss, workers,
                listener.port());
        bound.add(new BoundListener(listener, port));
    }

    /**
     * One listening socket per session event loop on the same port: the kernel spreads connections
     * over them, and the loop that accepts a connection serves it, with no hand-over from an
     * accepting thread. {@code SO_REUSEPORT} would let a second process of the same user share a
     * taken port silently, so a fixed port is first checked with a plain bind.
     */
    private int bindPerLoop(ListenerConfig listener, ChannelInitializer<Channel> accepted) {
        int port = listener.port();
        if (port != 0) {
            refuseIfTaken(new InetSocketAddress(listener.address(), port));
        }
        for (EventExecutor executor : workers) {
            EventLoop loop = (EventLoop) executor;
            port = bindOne(listener, accepted, loop, loop, port); // port 0: the first socket picks, the others follow
        }
        return port;
    }

    private static void refuseIfTaken(InetSocketAddress address) {
        try (ServerSocket probe = new ServerSocket()) {
            probe.setReuseAddress(true);
            probe.bind(address);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot listen on " + address + ": " + e.getMessage(), e);
        }
    }

    private int bindOne(ListenerConfig listener, ChannelInitializer<Channel> accepted, EventLoopGroup acceptors,
                        EventLoopGroup servers, int port) {
        ServerBootstrap bootstrap = new ServerBootstrap()
                .group(acceptors, servers)
                .channel(transport.serverChannel())
                .option(ChannelOption.SO_BACKLOG, 1024)
                .option(ChannelOption.SO_REUSEADDR, true)
                .childOption(ChannelOption.TCP_NODELAY, true)
                .childHandler(accepted);
        if (transport.reusePort()) {
            transport.sharePort(bootstrap);
        }
        Channel channel = bootstrap.bind(new InetSocketAddress(listener.address(), port)).syncUninterruptibly().channel();
        listening.add(channel);
        return ((InetSocketAddress) channel.localAddress()).getPort();
    }

    public List<BoundListener> bound() {
        return List.copyOf(bound);
    }

    public String transportName() {
        return transport.name();
    }

    /** Stops accepting, lets open sessions finish until {@code drain} runs out, then closes what is left. */
    public void stop(Duration drain) {
        stopAccepting();
        long deadline = System.nanoTime() + drain.toNanos();
        while (!sessions.isEmpty() && System.nanoTime() < deadline) {
            try {
                Thread.sleep(50);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        sessions.close().awaitUninterruptibly(5, TimeUnit.SECONDS);
        if (boss != workers) {
            boss.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly();
        }
        workers.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly();
    }

    /**
     * Closes the listening sockets (new connections are refused) and tells every open session to
     * finish and say goodbye; the event loops keep running. Idempotent (a drain, then the stop).
     */
    public void stopAccepting() {
        listening.close().awaitUninterruptibly();
        // Sessions waiting for a command say 421 4.3.2 (POP3: -ERR [SYS/TEMP]) now; busy ones after their command.
        for (Channel session : sessions) {
            session.pipeline().fireUserEventTriggered(SessionDrain.INSTANCE);
        }
    }

    public int openSessions() {
        return sessions.size();
    }

    @Override
    public void close() {
        stop(Duration.ZERO);
    }
}
