package io.postern.smtp;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.postern.config.ConfigLoader;
import io.postern.config.ListenerConfig;
import io.postern.config.PosternConfig;
import io.postern.config.SecretResolver;
import io.postern.lmtp.LmtpPipeline;
import io.postern.sasl.LoginThrottle;
import io.postern.net.ConnectionLimits;
import io.postern.milter.MilterChain;
import io.postern.smtp.inbound.session.MessageFilters;
import io.postern.smtp.inbound.session.SmtpServices;
import io.postern.testing.MapDirectory;
import io.postern.tls.SelfSignedCertificates;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

/**
 * An SMTP/LMTP listener on 127.0.0.1 and a free port, built from a YAML configuration, with a
 * {@link MapDirectory} and a {@link FileSink}. For unit tests and ITs. Close it.
 */
public final class SmtpTestServer implements AutoCloseable {
    public final MapDirectory directory;
    public final FileSink sink;
    public final PosternConfig config;
    public final SimpleMeterRegistry meters = new SimpleMeterRegistry();
    /** The open-session counts: a test waits on them for a closed session's slot to be freed. */
    public final ConnectionLimits limits;
    private final EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
    private final ExecutorService blocking = Executors.newVirtualThreadPerTaskExecutor();
    private final Channel server;
    private final ListenerConfig listener;
    private final MilterChain milters;

    /** The login throttle of this server (its own unless one was given). */
    public final LoginThrottle throttle;

    /** Sessions open on the served listener, as its connection limit counts them. */
    public int openSessions() {
        return limits.open(listener);
    }

    /** {@code yaml} is a full configuration; its first listener is served (port ignored). */
    public SmtpTestServer(String yaml, Path dir, MapDirectory directory) throws Exception {
        this(yaml, dir, directory, Optional.empty());
    }

    /** The same, sharing {@code throttle} (as the server shares one between SMTP and POP3). */
    public SmtpTestServer(String yaml, Path dir, MapDirectory directory, Optional<LoginThrottle> throttle)
            throws Exception {
        this(yaml, dir, directory, throttle, Clock.systemUTC());
    }

    /** The same, on a given clock (tests of hourly limits move it). */
    public SmtpTestServer(String yaml, Path dir, MapDirectory directory, Optional<LoginThrottle> throttle, Clock clock)
            throws Exception {
        this.directory = directory;
        this.sink = new FileSink(dir.resolve("sink"));
        this.config = new ConfigLoader(new SecretResolver(Map.of())).parse(yaml, dir, "test.yaml");
        this.listener = config.listeners().getFirst();
        Optional<SslContext> tls = Optional.empty();
        if (config.tls().configured()) {
            tls = Optional.of(sharedTls());
        }
        this.throttle = throttle.orElseGet(() -> new LoginThrottle(config.auth().throttle(), meters));
        SmtpServices services = new SmtpServices(config.node().hostname(), config.smtp(), config.auth(), config.relay(),
                config.domains(), directory, sink, tls, meters,
                this.throttle,
                limits = new ConnectionLimits(config.smtp().maxConnections(), config.smtp().maxConnectionsPerClient()),
                blocking, clock);
        if (!listener.milters().isEmpty()) {
            milters = MilterChain.of(config.miltersOf(listener), meters);
            services = services.withFilters(MessageFilters.create(Map.of(listener.name(), milters),
                    dir.resolve("filter")));
        } else {
            milters = null;
        }
        SmtpServices served = services;
        server = new ServerBootstrap().group(group).channel(NioServerSocketChannel.class)
                .childHandler(new ChannelInitializer<>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        if (listener.kind() == io.postern.config.ListenerKind.LMTP) {
                            LmtpPipeline.configure(ch.pipeline(), listener, served, sink);
                        } else {
                            SmtpPipeline.configure(ch.pipeline(), listener, served);
                        }
                    }
                })
                .bind(new InetSocketAddress("127.0.0.1", 0)).syncUninterruptibly().channel();
    }

    private static SslContext sharedTls;

    /** One self-signed certificate per JVM: creating a key pair is the slowest part of a TLS test. */
    static synchronized SslContext sharedTls() throws Exception {
        if (sharedTls == null) {
            Path dir = java.nio.file.Files.createTempDirectory("postern-smtp-tls");
            SelfSignedCertificates.Files files = SelfSignedCertificates.ensure(dir, "mx.test");
            sharedTls = SslContextBuilder.forServer(files.certificate().toFile(), files.privateKey().toFile())
                    .protocols("TLSv1.3", "TLSv1.2").build();
        }
        return sharedTls;
    }

    /** The YAML of a typical test node; {@code extra} is appended (top-level sections). */
    public static String yaml(String kind, String tls, String extra) {
        return "node: {hostname: mx.test}\n"
                + "listeners:\n  - {kind: " + kind + ", port: 2525, tls: " + tls + "}\n"
                + ("none".equals(tls) ? "" : "tls: {selfSigned: true}\n")
                + "directory: {urls: ['ldap://127.0.0.1:1'], baseDn: 'dc=example,dc=com'}\n"
                + "domains: [example.com]\n"
                + extra;
    }

    /** Shuts the executor of off-loop work down, as a stopping node does. */
    public void stopBlockingWork() {
        blocking.shutdownNow();
    }

    public int port() {
        return ((InetSocketAddress) server.localAddress()).getPort();
    }

    @Override
    public void close() {
        server.close().syncUninterruptibly();
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
        blocking.shutdownNow();
        if (milters != null) {
            milters.close();
        }
    }
}
