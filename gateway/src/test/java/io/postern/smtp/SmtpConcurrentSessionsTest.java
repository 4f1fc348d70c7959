package io.postern.smtp;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.postern.config.ConfigLoader;
import io.postern.config.PosternConfig;
import io.postern.config.SecretResolver;
import io.postern.mail.Acceptance;
import io.postern.mail.IncomingMessage;
import io.postern.mail.MessageSink;
import io.postern.net.ConnectionLimits;
import io.postern.net.Transport;
import io.postern.sasl.LoginThrottle;
import io.postern.smtp.inbound.session.SmtpServices;
import io.postern.testing.MapDirectory;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.junit.jupiter.api.io.TempDir;

/**
 * A stress run (not in the normal suite: {@code -Dpostern.stress.sessions=20000}): many clients
 * at once each run smtp-source's dialogue (HELO, MAIL, RCPT, DATA, the message with its final
 * dot in one write or split, QUIT), one connection per message, against a listener on the node's
 * transport (native epoll where it loads) with two event loops, off-loop look-ups and commits
 * completed on another thread, as the queue completes them. Every session must be answered in
 * full; the failure lists each session that was not, with the step and the last reply it got.
 * The deterministic reproduction of the hang it found is {@link SmtpInputBufferTest}.
 */
@EnabledIfSystemProperty(named = "postern.stress.sessions", matches = "\\d+")
class SmtpConcurrentSessionsTest {
    private static final int CLIENTS = Integer.getInteger("postern.stress.clients", 50);
    // A liveness bound for one reply, far above any reply time on a loaded machine.
    private static final int REPLY_DEADLINE_MILLIS = 30_000;
    private static final byte[] MESSAGE = message();

    @TempDir
    Path tmp;

    private final ExecutorService completions = Executors.newSingleThreadExecutor();

    private final MessageSink sink = envelope -> new IncomingMessage() {
        @Override
        public void write(byte[] bytes, int offset, int length) {
        }

        @Override
        public CompletableFuture<Acceptance> commit() {
            return CompletableFuture.supplyAsync(() -> new Acceptance("Q", List.of(Acceptance.QUEUED)), completions);
        }

        @Override
        public void abort() {
        }
    };

    record Stuck(int session, String step, String lastReply, String error) {
    }

    @Test
    void everySessionIsAnsweredInFull() throws Exception {
        int sessions = Integer.getInteger("postern.stress.sessions");
        PosternConfig config = new ConfigLoader(new SecretResolver(Map.of())).parse(
                SmtpTestServer.yaml("mx", "none", "smtp: {maxConnectionsPerClient: 1000}\n"), tmp, "test.yaml");
        ExecutorService blocking = Executors.newVirtualThreadPerTaskExecutor();
        SmtpServices services = new SmtpServices(config.node().hostname(), config.smtp(), config.auth(),
                config.relay(), config.domains(), MapDirectory.fixture(), sink, Optional.empty(),
                new SimpleMeterRegistry(), new LoginThrottle(config.auth().throttle(), new SimpleMeterRegistry()),
                new ConnectionLimits(config.smtp().maxConnections(), config.smtp().maxConnectionsPerClient()),
                blocking, Clock.systemUTC());
        Transport transport = Transport.best();
        EventLoopGroup boss = transport.newGroup("stress-accept", 1);
        EventLoopGroup workers = transport.newGroup("stress-io", 2);
        try {
            Channel server = new ServerBootstrap().group(boss, workers).channel(transport.serverChannel())
                    .option(ChannelOption.SO_BACKLOG, 1024).childOption(ChannelOption.TCP_NODELAY, true)
                    .childHandler(new ChannelInitializer<>() {
                        @Override
                        protected void initChannel(Channel ch) {
                            SmtpPipeline.configure(ch.pipeline(), config.listeners().getFirst(), services);
                        }
                    }).bind(new InetSocketAddress("127.0.0.1", 0)).syncUninterruptibly().channel();
            int port = ((InetSocketAddress) server.localAddress()).getPort();

            AtomicInteger next = new AtomicInteger();
            ConcurrentLinkedQueue<Stuck> stuck = new ConcurrentLinkedQueue<>();
            List<Thread> clients = new ArrayList<>();
            for (int c = 0; c < CLIENTS; c++) {
                clients.add(Thread.ofPlatform().name("stress-client-" + c).start(() -> {
                    for (int n = next.getAndIncrement(); n < sessions; n = next.getAndIncrement()) {
                        session(port, n).ifPresent(stuck::add);
                    }
                }));
            }
            for (Thread client : clients) {
                client.join();
            }
            server.close().syncUninterruptibly();
            assertThat(stuck).as("sessions of %d (%s) not answered in full", sessions, transport.name()).isEmpty();
        } finally {
            boss.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
            workers.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
            blocking.shutdownNow();
            completions.shutdownNow();
        }
    }

    /** One smtp-source session; the step at which it failed, if it did. */
    private static Optional<Stuck> session(int port, int n) {
        String step = "connect";
        String last = "";
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress("127.0.0.1", port), REPLY_DEADLINE_MILLIS);
            socket.setSoTimeout(REPLY_DEADLINE_MILLIS);
            socket.setTcpNoDelay(true);
            InputStream in = socket.getInputStream();
            OutputStream out = socket.getOutputStream();
            String[][] dialogue = {
                {"greeting", null, "220"},
                {"HELO", "HELO load.example.org\r\n", "250"},
                {"MAIL", "MAIL FROM:<load@remote.example.org>\r\n", "250"},
                {"RCPT", "RCPT TO:<alice@example.com>\r\n", "250"},
                {"DATA", "DATA\r\n", "354"},
                {"message", "", "250"},
                {"QUIT", "QUIT\r\n", "221"},
            };
            for (String[] exchange : dialogue) {
                step = exchange[0];
                if ("message".equals(step)) {
                    send(out, n);
                } else if (exchange[1] != null) {
                    out.write(exchange[1].getBytes(StandardCharsets.US_ASCII));
                    out.flush();
                }
                last = reply(in);
                if (last == null || !last.startsWith(exchange[2])) {
                    return Optional.of(new Stuck(n, step, last, "unexpected reply"));
                }
            }
            return Optional.empty();
        } catch (IOException e) {
            return Optional.of(new Stuck(n, step, last, e.toString()));
        }
    }

    /** The message as smtp-source writes it (the final dot in one write), or split in varying places. */
    private static void send(OutputStream out, int n) throws IOException {
        switch (n % 4) {
            case 0 -> out.write(MESSAGE);
            case 1 -> {
                out.write(MESSAGE, 0, MESSAGE.length - 3);
                out.flush();
                out.write(MESSAGE, MESSAGE.length - 3, 3);
            }
            case 2 -> {
                int half = MESSAGE.length / 2;
                out.write(MESSAGE, 0, half);
                out.flush();
                out.write(MESSAGE, half, MESSAGE.length - half);
            }
            default -> {
                out.write(MESSAGE, 0, 512);
                out.flush();
                out.write(MESSAGE, 512, MESSAGE.length - 512);
            }
        }
        out.flush();
    }

    /** The last line of one reply; null at the end of the stream. */
    private static String reply(InputStream in) throws IOException {
        while (true) {
            ByteArrayOutputStream line = new ByteArrayOutputStream();
            int b;
            while ((b = in.read()) >= 0 && b != '\n') {
                line.write(b);
            }
            if (b < 0) {
                return null;
            }
            String text = line.toString(StandardCharsets.US_ASCII).stripTrailing();
            if (text.length() < 4 || text.charAt(3) != '-') {
                return text;
            }
        }
    }

    private static byte[] message() {
        StringBuilder text = new StringBuilder("From: <load@remote.example.org>\r\nTo: <alice@example.com>\r\n"
                + "Subject: stress\r\n\r\n");
        while (text.length() < 4096) {
            text.append("x".repeat(70)).append("\r\n");
        }
        return text.append(".\r\n").toString().getBytes(StandardCharsets.US_ASCII);
    }
}
