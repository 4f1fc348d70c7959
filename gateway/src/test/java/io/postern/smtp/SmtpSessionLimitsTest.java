package io.postern.smtp;

import static org.assertj.core.api.Assertions.assertThat;

import io.postern.testing.Await;
import io.postern.testing.MapDirectory;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Limits that need timing or several connections: each is exceeded and its reply checked. */
class SmtpSessionLimitsTest {
    @TempDir
    Path tmp;

    private SmtpTestServer server(String smtp) throws Exception {
        return new SmtpTestServer(SmtpTestServer.yaml("mx", "none", "smtp: " + smtp + "\n"), tmp, MapDirectory.fixture());
    }

    @Test
    void connectionsPerClientAddress() throws Exception {
        try (SmtpTestServer server = server("{maxConnectionsPerClient: 2}")) {
            List<SmtpTestClient> open = new ArrayList<>();
            for (int i = 0; i < 2; i++) {
                SmtpTestClient c = new SmtpTestClient(server.port());
                assertThat(c.readLine()).startsWith("220 ");
                open.add(c);
            }
            try (SmtpTestClient third = new SmtpTestClient(server.port())) {
                assertThat(third.readLine()).isEqualTo("421 4.7.0 mx.test too many connections, try again later");
                assertThat(third.closedByServer()).isTrue();
            }
            open.getFirst().send("QUIT");
            assertThat(open.getFirst().readLine()).startsWith("221 ");
            assertThat(open.getFirst().closedByServer()).isTrue();
            // The client sees the close before the server's close handler frees the slot: wait for that.
            Await.until("the closed session's slot freed", () -> server.openSessions() == 1);
            try (SmtpTestClient again = new SmtpTestClient(server.port())) {
                assertThat(again.readLine()).startsWith("220 ");
            }
            for (SmtpTestClient c : open) {
                c.close();
            }
        }
    }

    @Test
    void connectionsInTotal() throws Exception {
        try (SmtpTestServer server = server("{maxConnections: 1}")) {
            try (SmtpTestClient first = new SmtpTestClient(server.port());
                 SmtpTestClient second = new SmtpTestClient(server.port())) {
                assertThat(first.readLine()).startsWith("220 ");
                assertThat(second.readLine()).startsWith("421 4.7.0 ");
            }
        }
    }

    @Test
    void earlyTalkerIsDropped() throws Exception {
        try (SmtpTestServer server = server("{greetingDelay: 300ms}");
             SmtpTestClient client = new SmtpTestClient(server.port())) {
            client.send("EHLO spammer.test");
            assertThat(client.readLine()).isEqualTo("554 5.5.1 Protocol error: client sent data before the greeting");
            assertThat(client.closedByServer()).isTrue();
        }
    }

    @Test
    void patientClientGetsTheDelayedGreeting() throws Exception {
        try (SmtpTestServer server = server("{greetingDelay: 200ms}");
             SmtpTestClient client = new SmtpTestClient(server.port())) {
            assertThat(client.readLine()).startsWith("220 mx.test");
            client.send("NOOP");
            assertThat(client.readLine()).startsWith("250 ");
        }
    }

    @Test
    void idleTimeout() throws Exception {
        try (SmtpTestServer server = server("{idleTimeout: 300ms}");
             SmtpTestClient client = new SmtpTestClient(server.port())) {
            assertThat(client.readLine()).startsWith("220 ");
            long start = System.nanoTime();
            assertThat(client.readLine()).isEqualTo("421 4.4.2 mx.test timeout exceeded, closing connection");
            assertThat(Duration.ofNanos(System.nanoTime() - start)).isGreaterThanOrEqualTo(Duration.ofMillis(200));
            assertThat(client.closedByServer()).isTrue();
        }
    }

    @Test
    void commandTimeoutCatchesASlowDrip() throws Exception {
        try (SmtpTestServer server = server("{idleTimeout: 10s, commandTimeout: 500ms}");
             SmtpTestClient client = new SmtpTestClient(server.port())) {
            assertThat(client.readLine()).startsWith("220 ");
            byte[] slow = "NOOP NOOP NOOP NOOP".getBytes(StandardCharsets.US_ASCII);
            String reply = null;
            for (byte b : slow) {
                try {
                    client.raw(new byte[] {b});
                } catch (java.io.IOException closed) {
                    break;
                }
                Thread.sleep(100);
            }
            reply = client.readLine();
            assertThat(reply).startsWith("421 4.4.2 ");
        }
    }

    @Test
    void dataTimeout() throws Exception {
        // No rate rule: the phase deadline would fall at the same 300 ms and race the idle timer.
        try (SmtpTestServer server = server("{idleTimeout: 10s, dataTimeout: 300ms, minDataRate: 0}");
             SmtpTestClient client = new SmtpTestClient(server.port())) {
            client.readLine();
            client.send("EHLO c.test");
            client.reply();
            client.send("MAIL FROM:<s@remote.test>");
            client.readLine();
            client.send("RCPT TO:<alice@example.com>");
            client.readLine();
            client.send("DATA");
            assertThat(client.readLine()).startsWith("354 ");
            client.send("Subject: stalled");
            assertThat(client.readLine()).startsWith("421 4.4.2 ");
            assertThat(server.sink.stored()).isEmpty();
            assertThat(server.sink.pendingFiles()).isZero();
        }
    }

    @Test
    void dataTrickledOverASocketEndsAtTheTotalLimit() throws Exception {
        try (SmtpTestServer server = server("{idleTimeout: 10s, dataTimeout: 1s, dataTotalTimeout: 2s, minDataRate: 0}");
             SmtpTestClient client = new SmtpTestClient(server.port())) {
            client.readLine();
            client.send("EHLO c.test");
            client.reply();
            client.send("MAIL FROM:<s@remote.test>");
            client.readLine();
            client.send("RCPT TO:<alice@example.com>");
            client.readLine();
            client.send("DATA");
            assertThat(client.readLine()).startsWith("354 ");
            // A byte every 100 ms keeps dataTimeout (1s) from ever firing; only the total limit can.
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            try {
                while (System.nanoTime() < deadline) {
                    client.raw(new byte[] {'x'});
                    Thread.sleep(100);
                }
            } catch (java.io.IOException closedByServer) {
                // expected: the server gave up on the message
            }
            assertThat(client.readLine()).startsWith("451 4.4.2 ");
            assertThat(client.closedByServer()).isTrue();
            assertThat(server.sink.stored()).isEmpty();
            assertThat(server.sink.pendingFiles()).isZero();
        }
    }

    @Test
    void repliesTwoFiftyOnlyAfterTheCommitCompletes() throws Exception {
        try (SmtpTestServer server = server("{}");
             SmtpTestClient client = new SmtpTestClient(server.port())) {
            server.sink.commitDelay(Duration.ofMillis(700));
            client.readLine();
            client.send("EHLO c.test");
            client.reply();
            client.send("MAIL FROM:<s@remote.test>");
            client.readLine();
            client.send("RCPT TO:<alice@example.com>");
            client.readLine();
            client.send("DATA");
            client.readLine();
            long start = System.nanoTime();
            client.raw("x\r\n.\r\nNOOP\r\n".getBytes(StandardCharsets.US_ASCII));
            assertThat(client.readLine()).startsWith("250 2.0.0 Ok: queued as ");
            assertThat(Duration.ofNanos(System.nanoTime() - start)).isGreaterThanOrEqualTo(Duration.ofMillis(600));
            assertThat(server.sink.stored()).hasSize(1);
            // The pipelined NOOP waited for the commit and is answered after it, in order.
            assertThat(client.readLine()).startsWith("250 2.0.0 Ok");
        }
    }

    @Test
    void otherSessionsAreServedWhileACommitIsPending() throws Exception {
        try (SmtpTestServer server = server("{}");
             SmtpTestClient slow = new SmtpTestClient(server.port());
             SmtpTestClient other = new SmtpTestClient(server.port())) {
            server.sink.commitDelay(Duration.ofSeconds(2));
            slow.readLine();
            other.readLine();
            slow.send("EHLO c.test");
            slow.reply();
            slow.send("MAIL FROM:<s@remote.test>");
            slow.readLine();
            slow.send("RCPT TO:<alice@example.com>");
            slow.readLine();
            slow.send("DATA");
            slow.readLine();
            slow.raw("x\r\n.\r\n".getBytes(StandardCharsets.US_ASCII));
            long start = System.nanoTime();
            other.send("NOOP");
            assertThat(other.readLine()).startsWith("250 ");
            assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(1));
            assertThat(slow.readLine()).startsWith("250 2.0.0 Ok: queued");
        }
    }

    @Test
    void aLargeMessageIsStreamedToDiskByteForByte() throws Exception {
        try (SmtpTestServer server = server("{maxMessageSize: 64m}");
             SmtpTestClient client = new SmtpTestClient(server.port())) {
            client.readLine();
            client.send("EHLO c.test");
            client.reply();
            client.send("MAIL FROM:<s@remote.test> SIZE=20000000");
            client.readLine();
            client.send("RCPT TO:<alice@example.com>");
            client.readLine();
            client.send("DATA");
            client.readLine();
            ByteArrayOutputStream expected = new ByteArrayOutputStream();
            expected.writeBytes("Subject: big\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            client.raw("Subject: big\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            byte[] line = (".".repeat(1) + "x".repeat(996) + "\r\n").getBytes(StandardCharsets.US_ASCII);
            byte[] block = new byte[line.length * 1000];
            for (int i = 0; i < 1000; i++) {
                System.arraycopy(line, 0, block, i * line.length, line.length);
            }
            for (int i = 0; i < 20; i++) {
                client.raw(block);
            }
            client.raw(".\r\n".getBytes(StandardCharsets.US_ASCII));
            assertThat(client.readLine()).startsWith("250 2.0.0 Ok: queued as ");
            byte[] stored = Files.readAllBytes(server.sink.stored().getFirst().file());
            String text = new String(stored, StandardCharsets.US_ASCII);
            int body = text.indexOf("Subject: big\r\n\r\n");
            assertThat(body).isPositive();
            // Every line lost its stuffed leading dot: 20,000 lines of 996 x + CRLF.
            assertThat(stored.length - body - "Subject: big\r\n\r\n".length()).isEqualTo(20_000 * 998);
            assertThat(text).doesNotContain("\r\n.x");
        }
    }

    /** The off-loop policy: an executor that refuses work means the node is stopping (421, then close). */
    @Test
    void offLoopWorkRefusedByAStoppingNodeIs421AndClose() throws Exception {
        try (SmtpTestServer server = server("{}");
             SmtpTestClient client = new SmtpTestClient(server.port())) {
            assertThat(client.readLine()).startsWith("220 ");
            client.send("EHLO client.test");
            client.reply();
            client.send("MAIL FROM:<x@remote.test>");
            assertThat(client.readLine()).startsWith("250 ");
            server.stopBlockingWork();
            client.send("RCPT TO:<alice@example.com>");
            assertThat(client.readLine()).isEqualTo("421 4.3.2 mx.test service shutting down");
            assertThat(client.closedByServer()).isTrue();
        }
    }
}
