package io.postern.it.outbound;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.postern.config.OutboundConfig;
import io.postern.it.support.ExternalProcess;
import io.postern.it.support.Ports;
import io.postern.it.support.PosternProcess;
import io.postern.mail.DeliveryResult;
import io.postern.mail.Envelope;
import io.postern.mail.EnvelopeRecipient;
import io.postern.mail.MailAddress;
import io.postern.mail.MessageContent;
import io.postern.mail.QueuedMessage;
import io.postern.outbound.LmtpHandoff;
import java.io.BufferedReader;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two real {@code delivery} nodes (JVM processes, embedded directory with the demo users) on one
 * shared spool, and the front's LMTP hand-off in this JVM. Worker A sits behind a proxy that
 * forwards the message and then withholds A's reply: A has written the message, the front never
 * hears so, and retries on worker B. With the front's delivery key B finds A's copy: one copy in
 * the Maildir. A 300 KB message goes through a worker whose default temporary folder cannot be
 * created but whose configured one can.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class HandoffWorkersIT {
    @TempDir
    static Path dir;

    private Path spool;
    private ExternalProcess workerA;
    private ExternalProcess workerB;
    private int lmtpA;
    private int lmtpB;
    private int adminB;

    @BeforeAll
    void startWorkers() throws Exception {
        spool = dir.resolve("shared-spool");
        Files.createDirectories(spool);
        lmtpA = Ports.free();
        lmtpB = Ports.free();
        adminB = Ports.free();
        workerA = start("worker-a", lmtpA, Ports.free(), "");
        // B's default temporary folder (var/delivery-tmp next to its file) cannot be created: var is a file.
        Path homeB = PosternProcess.homeWithLdif(dir.resolve("worker-b"));
        Files.writeString(homeB.resolve("var"), "not a folder");
        workerB = start("worker-b", lmtpB, adminB, "delivery: { tempDirectory: " + dir.resolve("b-tmp") + " }\n");
        workerA.awaitLog(Duration.ofSeconds(60), "event=started");
        workerB.awaitLog(Duration.ofSeconds(60), "event=started");
    }

    private ExternalProcess start(String name, int lmtp, int admin, String extra) throws Exception {
        Path home = Files.isDirectory(dir.resolve(name).resolve("ldif")) ? dir.resolve(name)
                : PosternProcess.homeWithLdif(dir.resolve(name));
        Path file = Files.writeString(home.resolve("postern.yaml"), """
                node: { hostname: %s.example.test, role: delivery, drainTimeout: 1s }
                listeners:
                  - { name: lmtp, kind: lmtp, port: %d }
                admin: { port: %d, queueApi: { port: %d } }
                directory:
                  baseDn: dc=example,dc=test
                  embedded: { ldif: ldif/demo.ldif, port: %d }
                domains: [example.test]
                queue: { directory: %s }
                spool: { root: %s }
                """.formatted(name, lmtp, admin, Ports.free(), Ports.free(), home.resolve("queue"), spool) + extra);
        return PosternProcess.start(name, home, "serve", "--config", file.toString());
    }

    @AfterAll
    void stopWorkers() throws Exception {
        for (ExternalProcess p : new ExternalProcess[] {workerA, workerB}) {
            if (p != null) {
                p.close();
            }
        }
    }

    private static OutboundConfig config(List<OutboundConfig.HostPort> targets) {
        OutboundConfig d = OutboundConfig.defaults();
        OutboundConfig.Timeouts t = new OutboundConfig.Timeouts(Duration.ofSeconds(5), Duration.ofSeconds(30),
                Duration.ofSeconds(30), Duration.ofSeconds(30), Duration.ofSeconds(30), Duration.ofSeconds(30),
                Duration.ofSeconds(30), Duration.ofSeconds(60));
        return new OutboundConfig(d.port(), List.of(), d.dnsTimeout(), t, d.tls(), d.relayHost(), d.connections(),
                d.maxRecipientsPerTransaction(), d.maxReplyLineLength(), d.maxReplyLines(), targets,
                new OutboundConfig.Handoff(4, Duration.ofSeconds(30), Duration.ofSeconds(30)));
    }

    private static QueuedMessage message(String queueId, String to, QueuedMessage.Attempt attempt) {
        byte[] bytes = ("Subject: hand-off " + queueId + "\r\n\r\nhello\r\n").getBytes(StandardCharsets.US_ASCII);
        MessageContent content = new MessageContent() {
            @Override
            public InputStream open() {
                return new ByteArrayInputStream(bytes);
            }

            @Override
            public long size() {
                return bytes.length;
            }
        };
        Envelope envelope = new Envelope(MailAddress.parse("sender@remote.test"),
                List.of(EnvelopeRecipient.of(MailAddress.parse(to).orElseThrow())), Envelope.BodyType.SEVEN_BIT, false,
                Optional.empty(), Optional.empty(), new Envelope.SessionTrace("192.0.2.1", "client.test", "client.test",
                "ESMTP", Optional.empty(), Optional.empty(), Instant.parse("2026-12-03T10:00:00Z")));
        return new QueuedMessage(queueId, envelope, content, attempt);
    }

    private List<Path> copies(String user, String queueId) throws IOException {
        return withSubject(user, "hand-off " + queueId);
    }

    private List<Path> withSubject(String user, String subject) throws IOException {
        Path maildir = spool.resolve("example.test").resolve(user);
        try (Stream<Path> n = Files.list(maildir.resolve("new")); Stream<Path> c = Files.list(maildir.resolve("cur"))) {
            return Stream.concat(n, c).filter(p -> {
                try {
                    return Files.readString(p).contains("Subject: " + subject + "\r\n");
                } catch (IOException e) {
                    return false;
                }
            }).toList();
        }
    }

    @Test
    void aWorkerThatDiesAfterWritingLeavesExactlyOneCopyWhenTheFrontRetriesOnTheOther() throws Exception {
        // Without a key (a message not from the durable queue) the retry on B is a second copy:
        // this is what the key prevents, and what this test would see without it.
        try (WithholdingProxy proxy = new WithholdingProxy(lmtpA, () -> { });
             LmtpHandoff front = LmtpHandoff.create(config(List.of(proxy.target(),
                     new OutboundConfig.HostPort("127.0.0.1", lmtpB))), "front-1.example.test", new SimpleMeterRegistry())) {
            QueuedMessage m = message("UNKEYED1", "bob@example.test", QueuedMessage.Attempt.UNTRACKED);
            assertThat(front.deliver(m, m.envelope().recipients()).get(120, TimeUnit.SECONDS)).singleElement()
                    .satisfies(r -> assertThat(r.isDelivered()).as(r.label()).isTrue());
            assertThat(proxy.withheld).isTrue();
            assertThat(copies("bob", "UNKEYED1")).hasSize(2);
        }

        // The real case: worker A is killed (kill -9) after it wrote the message, before the front has the reply.
        try (WithholdingProxy proxy = new WithholdingProxy(lmtpA, this::killWorkerA);
             LmtpHandoff front = LmtpHandoff.create(config(List.of(proxy.target(),
                     new OutboundConfig.HostPort("127.0.0.1", lmtpB))), "front-1.example.test", new SimpleMeterRegistry())) {
            QueuedMessage m = message("0123456789ABCDEF", "alice@example.test", QueuedMessage.Attempt.FIRST);
            List<DeliveryResult> results = front.deliver(m, m.envelope().recipients()).get(120, TimeUnit.SECONDS);
            assertThat(results).singleElement().satisfies(r -> {
                assertThat(r.isDelivered()).as(r.label()).isTrue();
                assertThat(r.remoteMta().orElseThrow()).contains(":" + lmtpB);
            });
            assertThat(proxy.withheld).isTrue();
            assertThat(workerA.isAlive()).isFalse();
            List<Path> copies = copies("alice", "0123456789ABCDEF");
            assertThat(copies).as("exactly one copy in the Maildir").hasSize(1);
            assertThat(copies.getFirst().getFileName().toString()).contains(".worker-a.example.test,S=");
            assertThat(workerB.logText()).contains("event=already-delivered");

            // A later message goes straight to B: A is passed over, not a reason to defer.
            QueuedMessage next = message("0123456789ABCDE0", "alice@example.test", QueuedMessage.Attempt.FIRST);
            assertThat(front.deliver(next, next.envelope().recipients()).get(60, TimeUnit.SECONDS)).singleElement()
                    .satisfies(r -> assertThat(r.isDelivered()).as(r.label()).isTrue());
            assertThat(copies("alice", "0123456789ABCDE0")).hasSize(1);
        }
    }

    private void killWorkerA() {
        ProcessHandle.of(workerA.pid()).ifPresent(h -> {
            h.destroyForcibly(); // SIGKILL: no shutdown hook, no drain
            h.onExit().orTimeout(30, TimeUnit.SECONDS).join();
        });
    }

    @Test
    void a300KbMessageUsesTheConfiguredTemporaryFolderWhenTheDefaultCannotBeCreated() throws Exception {
        try (HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build()) {
            HttpResponse<String> ready = http.send(HttpRequest.newBuilder(
                    URI.create("http://127.0.0.1:" + adminB + "/readyz")).timeout(Duration.ofSeconds(10)).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(ready.statusCode()).as(ready.body()).isEqualTo(200);
            assertThat(ready.body()).contains("delivery-temp ok");
        }
        try (Socket socket = new Socket(InetAddress.getLoopbackAddress(), lmtpB)) {
            socket.setSoTimeout(60_000);
            BufferedReader in = new BufferedReader(new InputStreamReader(socket.getInputStream(), StandardCharsets.US_ASCII));
            OutputStream out = socket.getOutputStream();
            assertThat(in.readLine()).startsWith("220 ");
            send(out, "LHLO front.test");
            String line;
            while ((line = in.readLine()).startsWith("250-")) {
                // capabilities
            }
            send(out, "MAIL FROM:<sender@remote.test>");
            assertThat(in.readLine()).startsWith("250 ");
            send(out, "RCPT TO:<bob@example.test>");
            assertThat(in.readLine()).startsWith("250 ");
            send(out, "DATA");
            assertThat(in.readLine()).startsWith("354 ");
            StringBuilder body = new StringBuilder("Subject: large 300k\r\n\r\n");
            String row = "x".repeat(98) + "\r\n";
            while (body.length() < 300 * 1024) {
                body.append(row);
            }
            out.write(body.toString().getBytes(StandardCharsets.US_ASCII));
            send(out, ".");
            assertThat(in.readLine()).startsWith("250 ");
        }
        assertThat(withSubject("bob", "large 300k")).hasSize(1);
        assertThat(dir.resolve("b-tmp")).isDirectory();
    }

    private static void send(OutputStream out, String line) throws IOException {
        out.write((line + "\r\n").getBytes(StandardCharsets.US_ASCII));
        out.flush();
    }

    /**
     * A TCP proxy to one worker that forwards the message and its final dot, and when the
     * worker's reply to the dot arrives (the message is on disk), runs {@code onWithheld} and closes
     * the front's connection without passing the reply on.
     */
    static final class WithholdingProxy implements AutoCloseable {
        private final ServerSocket server;
        private final AtomicBoolean dotSent = new AtomicBoolean();
        volatile boolean withheld;

        WithholdingProxy(int upstreamPort, Runnable onWithheld) throws IOException {
            server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
            Thread.ofVirtual().start(() -> {
                while (!server.isClosed()) {
                    try {
                        Socket client = server.accept();
                        Socket upstream = new Socket(InetAddress.getLoopbackAddress(), upstreamPort);
                        Thread.ofVirtual().start(() -> pumpUp(client, upstream));
                        Thread.ofVirtual().start(() -> pumpDown(upstream, client, onWithheld));
                    } catch (IOException e) {
                        return;
                    }
                }
            });
        }

        OutboundConfig.HostPort target() {
            return new OutboundConfig.HostPort("127.0.0.1", server.getLocalPort());
        }

        private void pumpUp(Socket client, Socket upstream) {
            byte[] tail = new byte[5];
            byte[] buffer = new byte[8192];
            try {
                InputStream in = client.getInputStream();
                OutputStream out = upstream.getOutputStream();
                int n;
                while ((n = in.read(buffer)) > 0) {
                    out.write(buffer, 0, n);
                    out.flush();
                    for (int i = 0; i < n; i++) {
                        System.arraycopy(tail, 1, tail, 0, 4);
                        tail[4] = buffer[i];
                    }
                    if (new String(tail, StandardCharsets.US_ASCII).equals("\r\n.\r\n")) {
                        dotSent.set(true);
                    }
                }
            } catch (IOException e) {
                // either side closed
            }
        }

        private void pumpDown(Socket upstream, Socket client, Runnable onWithheld) {
            byte[] buffer = new byte[8192];
            try {
                InputStream in = upstream.getInputStream();
                OutputStream out = client.getOutputStream();
                int n;
                while ((n = in.read(buffer)) > 0) {
                    if (dotSent.get() && !withheld) {
                        withheld = true;
                        onWithheld.run();
                        client.close();
                        upstream.close();
                        return;
                    }
                    out.write(buffer, 0, n);
                    out.flush();
                }
            } catch (IOException e) {
                // either side closed
            }
        }

        @Override
        public void close() throws IOException {
            server.close();
        }
    }
}
