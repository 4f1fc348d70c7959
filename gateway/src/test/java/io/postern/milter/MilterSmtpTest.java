package io.postern.milter;

import static org.assertj.core.api.Assertions.assertThat;

import io.postern.mail.EnvelopeRecipient;
import io.postern.mail.MailAddress;
import io.postern.observability.LogLineParser;
import io.postern.smtp.FileSink;
import io.postern.testing.MapDirectory;
import io.postern.smtp.SmtpTestClient;
import io.postern.smtp.SmtpTestServer;
import io.postern.testing.LogCapture;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Milters asked by the SMTP session (issue 17): each verdict as the client and the queue see it,
 * through DATA and BDAT, against the scripted milter.
 */
class MilterSmtpTest {
    private static final String MESSAGE = "From: a@example.com\r\nTo: alice@example.com\r\nSubject: hi\r\n\r\nHello\r\n";

    @TempDir
    Path tmp;

    private final List<AutoCloseable> resources = new ArrayList<>();

    @AfterEach
    void close() throws Exception {
        for (AutoCloseable c : resources.reversed()) {
            c.close();
        }
    }

    private FakeMilter milter(List<byte[]> atEom) throws IOException {
        return milter(FakeMilter.polite(atEom));
    }

    private FakeMilter milter(FakeMilter.Script script) throws IOException {
        FakeMilter fake = new FakeMilter(script);
        resources.add(fake);
        return fake;
    }

    private SmtpTestServer server(String kind, int milterPort, String milterOptions) throws Exception {
        String yaml = "node: {hostname: mx.test}\n"
                + "listeners:\n  - {name: in, kind: " + kind + ", port: 2525, tls: none, milters: [fake]}\n"
                + "milters:\n  - {name: fake, address: 'inet:127.0.0.1:" + milterPort + "'" + milterOptions + "}\n"
                + "auth: {allowPlaintextOnLoopback: true}\n"
                + "directory: {urls: ['ldap://127.0.0.1:1'], baseDn: 'dc=example,dc=com'}\n"
                + "domains: [example.com]\n";
        SmtpTestServer server = new SmtpTestServer(yaml, tmp, MapDirectory.fixture());
        resources.add(server);
        return server;
    }

    /** Sends one message by DATA and returns the reply to its end. */
    private static String send(SmtpTestClient client, String... recipients) throws IOException {
        return sendFrom(client, "a@example.com", recipients);
    }

    private static String sendFrom(SmtpTestClient client, String sender, String... recipients) throws IOException {
        expect(client, "MAIL FROM:<" + sender + ">", "250 ");
        for (String r : recipients) {
            expect(client, "RCPT TO:<" + r + ">", "250 ");
        }
        expect(client, "DATA", "354 ");
        client.send(MESSAGE + ".");
        return client.reply();
    }

    private static SmtpTestClient open(SmtpTestServer server) throws IOException {
        SmtpTestClient client = new SmtpTestClient(server.port());
        assertThat(client.readLine()).startsWith("220 ");
        expect(client, "EHLO client.test", "250 ");
        return client;
    }

    private static void expect(SmtpTestClient client, String command, String prefix) throws IOException {
        client.send(command);
        assertThat(client.reply()).startsWith(prefix);
    }

    private long spooled() throws IOException {
        try (var files = Files.list(tmp.resolve("filter"))) {
            return files.count();
        }
    }

    @Test
    void rejectAnswersTheMiltersReplyQueuesNothingAndLogsTheMilter() throws Exception {
        FakeMilter fake = milter(List.of(FakeMilter.reply('y', "550 5.7.1 Virus found: Eicar")));
        SmtpTestServer server = server("mx", fake.port(), "");
        try (LogCapture logs = LogCapture.root(); SmtpTestClient client = open(server)) {
            assertThat(send(client, "alice@example.com")).isEqualTo("550 5.7.1 Virus found: Eicar");
            expect(client, "QUIT", "221 ");
            Map<String, String> line = LogLineParser.parse(logs.await("milter-reject", 1).getFirst());
            assertThat(line).containsEntry("milter", "fake").containsEntry("reply", "550 5.7.1 Virus found: Eicar")
                    .containsEntry("client", "127.0.0.1");
            assertThat(LogLineParser.parse(logs.await("rejected", 1).getFirst())).containsEntry("reason", "filter");
        }
        assertThat(server.sink.stored()).isEmpty();
        assertThat(server.sink.pendingFiles()).isZero();
        assertThat(spooled()).isZero();
    }

    @Test
    void macrosCarryTheQueueIdTheClientAddressAndTheLogin() throws Exception {
        FakeMilter fake = milter(List.of(FakeMilter.reply('a')));
        SmtpTestServer server = server("submission", fake.port(), "");
        String plain = Base64.getEncoder().encodeToString("\0alice\0secret".getBytes(StandardCharsets.UTF_8));
        try (SmtpTestClient client = open(server)) {
            expect(client, "AUTH PLAIN " + plain, "235 ");
            String reply = sendFrom(client, "alice@example.com", "bob@example.com");
            assertThat(reply).startsWith("250 ");
            String queueId = server.sink.stored().getFirst().id();
            assertThat(reply).contains(queueId);
            String frames = String.join("|", fake.frames.stream().map(f -> new String(f, StandardCharsets.UTF_8)).toList());
            assertThat(frames).contains("{client_addr}\u0000127.0.0.1\u0000").contains("i\u0000" + queueId + "\u0000")
                    .contains("{auth_type}\u0000PLAIN\u0000{auth_authen}\u0000alice\u0000").contains("{daemon_name}\u0000in\u0000");
            expect(client, "QUIT", "221 ");
        }
        // QUIT ends the milter's session too.
        LogCaptureWait.until(() -> fake.commands.contains("Q"));
    }

    @Test
    void tempfailAnswers4xxAndTheSessionGoesOn() throws Exception {
        FakeMilter fake = milter(List.of(FakeMilter.reply('t')));
        SmtpTestServer server = server("mx", fake.port(), "");
        try (SmtpTestClient client = open(server)) {
            assertThat(send(client, "alice@example.com")).startsWith("451 4.7.1 ");
            assertThat(send(client, "alice@example.com")).startsWith("451 4.7.1 ");
            expect(client, "QUIT", "221 ");
        }
        assertThat(server.sink.stored()).isEmpty();
    }

    @Test
    void hangingMilterIsAnsweredWithTheDefaultActionWithinItsTimeout() throws Exception {
        FakeMilter fake = milter((command, data) -> command == 'E' ? FakeMilter.HANG
                : FakeMilter.polite(List.of()).answer(command, data));
        SmtpTestServer server = server("mx", fake.port(), ", endOfMessageTimeout: 500ms");
        try (SmtpTestClient client = open(server)) {
            long start = System.nanoTime();
            assertThat(send(client, "alice@example.com"))
                    .isEqualTo("451 4.7.1 Content filter unavailable, try again later");
            // Only an upper bound far above the timeout: the session is released by the milter's deadline.
            assertThat((System.nanoTime() - start) / 1_000_000).isLessThan(15_000);
            expect(client, "NOOP", "250 ");
        }
        assertThat(server.sink.stored()).isEmpty();
    }

    @Test
    void downMilterWithAcceptDefaultLetsTheMessageThrough() throws Exception {
        int port;
        try (var socket = new java.net.ServerSocket(0)) {
            port = socket.getLocalPort();
        }
        SmtpTestServer server = server("mx", port, ", defaultAction: accept");
        try (SmtpTestClient client = open(server)) {
            assertThat(send(client, "alice@example.com")).startsWith("250 ");
        }
        assertThat(server.sink.stored()).hasSize(1);
        assertThat(server.sink.stored().getFirst().text()).endsWith(MESSAGE);
    }

    @Test
    void discardAnswers250AndQueuesNothing() throws Exception {
        FakeMilter fake = milter(List.of(FakeMilter.reply('d')));
        SmtpTestServer server = server("mx", fake.port(), "");
        try (LogCapture logs = LogCapture.root(); SmtpTestClient client = open(server)) {
            assertThat(send(client, "alice@example.com")).startsWith("250 2.0.0 Ok: queued as ");
            Map<String, String> line = LogLineParser.parse(logs.await("discarded", 1).getFirst());
            assertThat(line).containsEntry("milter", "fake");
        }
        assertThat(server.sink.stored()).isEmpty();
        assertThat(server.sink.pendingFiles()).isZero();
    }

    @Test
    void quarantineQueuesTheMessageHeld() throws Exception {
        FakeMilter fake = milter(List.of(FakeMilter.reply('q', "suspicious"), FakeMilter.reply('a')));
        SmtpTestServer server = server("mx", fake.port(), "");
        try (LogCapture logs = LogCapture.root(); SmtpTestClient client = open(server)) {
            assertThat(send(client, "alice@example.com")).startsWith("250 ");
            Map<String, String> line = LogLineParser.parse(logs.await("milter-quarantine", 1).getFirst());
            assertThat(line).containsEntry("milter", "fake").containsEntry("reason", "suspicious");
        }
        assertThat(server.sink.stored()).singleElement().satisfies(s -> assertThat(s.held()).isTrue());
    }

    @Test
    void editsReachTheStoredMessageAndItsEnvelope() throws Exception {
        FakeMilter fake = milter(List.of(FakeMilter.reply('h', "X-Scanned", "yes"),
                FakeMilter.reply('b', "Replaced\r\n".getBytes(StandardCharsets.US_ASCII)),
                FakeMilter.reply('+', "<bob@example.com>"),
                FakeMilter.reply('+', "<nobody@example.com>"),
                FakeMilter.reply('+', "<someone@example.net>"),
                FakeMilter.reply('e', "<bounces@example.com>"),
                FakeMilter.reply('a')));
        SmtpTestServer server = server("mx", fake.port(), "");
        try (LogCapture logs = LogCapture.root(); SmtpTestClient client = open(server)) {
            assertThat(send(client, "alice@example.com")).startsWith("250 ");
            List<String> dropped = logs.await("milter-edit-dropped", 2);
            assertThat(dropped.stream().map(LogLineParser::parse).map(m -> m.get("address") + " " + m.get("reason")))
                    .containsExactlyInAnyOrder("<nobody@example.com> UNKNOWN_USER",
                            "<someone@example.net> RELAY_DENIED");
        }
        FileSink.Stored stored = server.sink.stored().getFirst();
        assertThat(stored.envelope().recipients().stream().map(EnvelopeRecipient::address).map(MailAddress::toString))
                .containsExactly("alice@example.com", "bob@example.com");
        assertThat(stored.envelope().sender().orElseThrow().toString()).isEqualTo("bounces@example.com");
        assertThat(stored.text()).startsWith("Received: ").contains("\r\nSubject: hi\r\nX-Scanned: yes\r\n\r\n")
                .endsWith("\r\n\r\nReplaced\r\n").doesNotContain("Hello");
        assertThat(spooled()).isZero();
    }

    @Test
    void bdatMessagesAreFilteredToo() throws Exception {
        FakeMilter fake = milter(List.of(FakeMilter.reply('y', "554 5.7.1 Gtube pattern")));
        SmtpTestServer server = server("mx", fake.port(), "");
        try (SmtpTestClient client = open(server)) {
            expect(client, "MAIL FROM:<a@example.com>", "250 ");
            expect(client, "RCPT TO:<alice@example.com>", "250 ");
            byte[] body = MESSAGE.getBytes(StandardCharsets.US_ASCII);
            client.raw(("BDAT " + body.length + " LAST\r\n").getBytes(StandardCharsets.US_ASCII));
            client.raw(body);
            assertThat(client.reply()).isEqualTo("554 5.7.1 Gtube pattern");
        }
        assertThat(server.sink.stored()).isEmpty();
    }

    @Test
    void aClientThatLeavesWhileTheMilterThinksLeavesNoFilesBehind() throws Exception {
        java.util.concurrent.CountDownLatch asked = new java.util.concurrent.CountDownLatch(1);
        FakeMilter fake = milter((command, data) -> {
            if (command == 'E') {
                asked.countDown();
                try {
                    Thread.sleep(500);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                return List.of(FakeMilter.reply('h', "X-Late", "yes"), FakeMilter.reply('a'));
            }
            return FakeMilter.polite(List.of()).answer(command, data);
        });
        SmtpTestServer server = server("mx", fake.port(), "");
        try (SmtpTestClient client = open(server)) {
            expect(client, "MAIL FROM:<a@example.com>", "250 ");
            expect(client, "RCPT TO:<alice@example.com>", "250 ");
            expect(client, "DATA", "354 ");
            client.send(MESSAGE + ".");
            assertThat(asked.await(10, java.util.concurrent.TimeUnit.SECONDS)).isTrue();
        }
        // The filter step finishes after the client left. A suspended session reads nothing, so it
        // sees the close only afterwards: as in Postfix, the verdict is applied once (here: queued),
        // and nothing is left half-written in the sink or the filter spool.
        LogCaptureWait.until(() -> {
            try {
                return server.sink.stored().size() == 1 && server.sink.pendingFiles() == 0 && spooled() == 0;
            } catch (IOException e) {
                return false;
            }
        });
        assertThat(server.sink.stored().getFirst().text()).contains("X-Late: yes");
    }

    /** Polls a condition another thread makes true, with a deadline. */
    static final class LogCaptureWait {
        static void until(java.util.function.BooleanSupplier condition) throws InterruptedException {
            long deadline = System.nanoTime() + 10_000_000_000L;
            while (!condition.getAsBoolean()) {
                assertThat(System.nanoTime()).as("condition before the deadline").isLessThan(deadline);
                Thread.sleep(20);
            }
        }
    }
}
