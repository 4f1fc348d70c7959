package io.postern.smtp;

import static io.postern.testing.LogCapture.keys;
import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.Counter;
import io.postern.mail.EnhancedStatus;
import io.postern.mail.RecipientOutcome;
import io.postern.testing.Await;
import io.postern.testing.LogCapture;
import io.postern.testing.MapDirectory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What an operator sees of SMTP sessions: log lines, meters, and the AUTH line limit (RFC 4954). */
class SmtpObservabilityTest {
    @TempDir
    Path tmp;
    private LogCapture logs;

    @BeforeEach
    void capture() {
        logs = LogCapture.root();
    }

    @AfterEach
    void release() {
        logs.close();
    }

    private SmtpTestServer server(String kind, String extra) throws Exception {
        return new SmtpTestServer(SmtpTestServer.yaml(kind, "none", extra), tmp, MapDirectory.fixture());
    }

    private List<String> lines() {
        return logs.lines();
    }

    private List<String> events(String event) {
        return logs.events(event);
    }

    /** The session-end line is written when the server sees the connection close: wait for it, bounded. */
    private String sessionEnd() {
        Await.until("the session-end log line", () -> !events("session-end").isEmpty());
        assertThat(events("session-end")).hasSize(1);
        return events("session-end").getFirst();
    }

    private static void exchange(SmtpTestClient client, String command, String expected) throws Exception {
        client.send(command);
        assertThat(client.reply()).as(command.length() > 40 ? command.substring(0, 40) : command).startsWith(expected);
    }

    private double count(SmtpTestServer server, String name, String tag, String value) {
        Counter counter = server.meters.find(name).tag(tag, value).counter();
        return counter == null ? 0 : counter.count();
    }

    @Test
    void aSessionLeavesOneLinePerEventAndCountsCommandsRepliesAndRejections() throws Exception {
        try (SmtpTestServer server = server("mx", "");
             SmtpTestClient client = new SmtpTestClient(server.port())) {
            assertThat(client.readLine()).startsWith("220 ");
            exchange(client, "EHLO client.test", "250 ");
            exchange(client, "FOO bar", "500 5.5.1");
            exchange(client, "MAIL FROM:<sender@other.test>", "250 ");
            exchange(client, "RCPT TO:<nobody@example.com>", "550 5.1.1");
            exchange(client, "RCPT TO:<someone@elsewhere.test>", "554 5.7.1");
            exchange(client, "RCPT TO:<alice@example.com>", "250 ");
            exchange(client, "DATA", "354 ");
            client.send("Subject: hi\r\n\r\nbody\r\n.");
            assertThat(client.reply()).startsWith("250 2.0.0 Ok: queued as ");
            exchange(client, "QUIT", "221 ");
            assertThat(client.closedByServer()).isTrue();

            assertThat(sessionEnd()).matches("event=session-end proto=smtp client=127\\.0\\.0\\.1 helo=client\\.test"
                    + " tls=no auth=- messages=1 rcpts=1 rejected=2 result=quit duration=\\d+\\.\\d{3}");
            assertThat(events("accepted")).singleElement().asString()
                    .matches("event=accepted proto=smtp queue_id=\\S+ from=<sender@other\\.test> rcpts=1 size=\\d+"
                            + " client=127\\.0\\.0\\.1");
            assertThat(events("rejected")).containsExactly(
                    "event=rejected proto=smtp code=500 dsn=5.5.1 reason=protocol command=unknown client=127.0.0.1",
                    "event=rejected proto=smtp code=550 dsn=5.1.1 reason=unknown-user command=RCPT client=127.0.0.1"
                            + " from=<sender@other.test> to=<nobody@example.com>",
                    "event=rejected proto=smtp code=554 dsn=5.7.1 reason=relay-denied command=RCPT client=127.0.0.1"
                            + " from=<sender@other.test> to=<someone@elsewhere.test>");

            assertThat(count(server, "postern.smtp.commands", "command", "EHLO")).isEqualTo(1);
            assertThat(count(server, "postern.smtp.commands", "command", "RCPT")).isEqualTo(3);
            assertThat(count(server, "postern.smtp.commands", "command", "unknown")).isEqualTo(1);
            assertThat(count(server, "postern.smtp.replies", "code", "250")).isEqualTo(4);
            assertThat(count(server, "postern.smtp.replies", "code", "550")).isEqualTo(1);
            assertThat(count(server, "postern.smtp.replies", "code", "221")).isEqualTo(1);
            assertThat(count(server, "postern.smtp.messages.rejected", "reason", "unknown-user")).isEqualTo(1);
            assertThat(count(server, "postern.smtp.messages.rejected", "reason", "relay-denied")).isEqualTo(1);
            assertThat(count(server, "postern.smtp.messages.rejected", "reason", "disabled")).isZero();
            assertThat(server.meters.find("postern.smtp.messages.rejected").tag("reason", "protocol").counter())
                    .as("protocol errors are not message rejections").isNull();
            assertThat(count(server, "postern.smtp.messages.accepted", "listener", "mx")).isEqualTo(1);
        }
    }

    @Test
    void clientValuesCannotForgeKeysInTheLog() throws Exception {
        try (SmtpTestServer server = server("mx", "");
             SmtpTestClient client = new SmtpTestClient(server.port())) {
            assertThat(client.readLine()).startsWith("220 ");
            exchange(client, "EHLO x\"result=quit=auth=root", "250 ");
            exchange(client, "MAIL FROM:<\"a result=accepted queue_id=FAKE\"@other.test>", "250 ");
            exchange(client, "RCPT TO:<\"b code=250 reason=ok\"@example.com>", "550 ");
            exchange(client, "QUIT", "221 ");
            assertThat(client.closedByServer()).isTrue();
            String end = sessionEnd();
            assertThat(end).contains(" helo=\"x\\\"result=quit=auth=root\" ").contains(" result=quit ");
            for (String line : lines().stream().filter(l -> l.startsWith("event=")).toList()) {
                List<String> keys = keys(line);
                assertThat(keys).as(line).doesNotHaveDuplicates().doesNotContain("queue_id", "auth=root", "reason=ok");
            }
            assertThat(keys(end)).containsExactly("event", "proto", "client", "helo", "tls", "auth", "messages",
                    "rcpts", "rejected", "result", "duration");
            assertThat(events("rejected")).singleElement().asString()
                    .contains(" from=\"<\\\"a result=accepted queue_id=FAKE\\\"@other.test>\"")
                    .contains(" to=\"<\\\"b code=250 reason=ok\\\"@example.com>\"");
        }
    }

    @Test
    void authDataAndPasswordsAreNeverLogged() throws Exception {
        String password = "Tr0ub4dor&3-unique";
        String plain = Base64.getEncoder().encodeToString(("\0carol\0" + password).getBytes(StandardCharsets.UTF_8));
        String wrong = Base64.getEncoder().encodeToString("\0carol\0not-it-either".getBytes(StandardCharsets.UTF_8));
        try (SmtpTestServer server = new SmtpTestServer(SmtpTestServer.yaml("submission", "none",
                "auth: {allowPlaintextOnLoopback: true}\n"), tmp, MapDirectory.fixture())) {
            server.directory.user("carol", password, "carol@example.com");
            server.directory.mailbox("carol@example.com", false);
            try (SmtpTestClient client = new SmtpTestClient(server.port())) {
                assertThat(client.readLine()).startsWith("220 ");
                exchange(client, "EHLO client.test", "250 ");
                exchange(client, "AUTH PLAIN " + wrong, "535 5.7.8");
                exchange(client, "AUTH LOGIN", "334 ");
                exchange(client, Base64.getEncoder().encodeToString("carol".getBytes(StandardCharsets.UTF_8)), "334 ");
                exchange(client, Base64.getEncoder().encodeToString("bad".getBytes(StandardCharsets.UTF_8)), "535 ");
                exchange(client, "AUTH PLAIN " + plain, "235 ");
                exchange(client, "QUIT", "221 ");
                assertThat(client.closedByServer()).isTrue();
            }
            assertThat(sessionEnd()).contains(" auth=carol ").contains(" result=quit ");
            assertThat(events("rejected")).hasSize(2).allMatch(l -> l.contains(" command=AUTH ")
                    && l.contains(" reason=auth "));
            assertThat(count(server, "postern.smtp.commands", "command", "AUTH")).isEqualTo(3);
            String all = String.join("\n", lines());
            assertThat(all).doesNotContain(password).doesNotContain(plain).doesNotContain(wrong)
                    .doesNotContain("not-it-either").doesNotContain("YmFk").doesNotContain("Ymfk");
        }
    }

    @Test
    void authLineMayCarryAFourKibInitialResponseButNotThirteen() throws Exception {
        String password = "p".repeat(3100);
        String plain = Base64.getEncoder().encodeToString(("\0long\0" + password).getBytes(StandardCharsets.UTF_8));
        assertThat(plain.length()).isGreaterThan(4096);
        try (SmtpTestServer server = new SmtpTestServer(SmtpTestServer.yaml("submission", "none",
                "auth: {allowPlaintextOnLoopback: true}\n"), tmp, MapDirectory.fixture())) {
            server.directory.user("long", password, "long@example.com");
            try (SmtpTestClient client = new SmtpTestClient(server.port())) {
                assertThat(client.readLine()).startsWith("220 ");
                exchange(client, "EHLO client.test", "250 ");
                exchange(client, "AUTH PLAIN " + "A".repeat(13 * 1024), "500 5.5.2 Line too long");
                // Every other command keeps the 512-octet limit, even right after a long AUTH line.
                exchange(client, "NOOP " + "x".repeat(600), "500 5.5.2 Line too long");
                exchange(client, "NOOP", "250 ");
                // Pipelined: a short command, then the long AUTH line in the same packet.
                client.raw(("NOOP\r\nauth plain " + plain + "\r\n").getBytes(StandardCharsets.US_ASCII));
                assertThat(client.reply()).startsWith("250 ");
                assertThat(client.reply()).startsWith("235 2.7.0");
                exchange(client, "QUIT", "221 ");
            }
            assertThat(sessionEnd()).contains(" auth=long ");
            assertThat(events("rejected")).containsExactly(
                    "event=rejected proto=submission code=500 dsn=5.5.2 reason=protocol command=AUTH client=127.0.0.1",
                    "event=rejected proto=submission code=500 dsn=5.5.2 reason=protocol command=unknown client=127.0.0.1");
            assertThat(String.join("\n", lines())).doesNotContain("AAAAAAAA").doesNotContain(plain);
        }
    }

    @Test
    void lmtpLogsOneRejectionPerFailedRecipient() throws Exception {
        try (SmtpTestServer server = server("lmtp", "");
             SmtpTestClient client = new SmtpTestClient(server.port())) {
            server.sink.outcome("bob@example.com", new RecipientOutcome.Deferred(452, EnhancedStatus.of("4.2.2"), "mailbox full"));
            assertThat(client.readLine()).startsWith("220 ");
            exchange(client, "LHLO front.test", "250 ");
            exchange(client, "MAIL FROM:<s@remote.test>", "250 ");
            exchange(client, "RCPT TO:<alice@example.com>", "250 ");
            exchange(client, "RCPT TO:<bob@example.com>", "250 ");
            exchange(client, "DATA", "354 ");
            client.send("Subject: q\r\n\r\nx\r\n.");
            assertThat(client.readLine()).startsWith("250 2.1.5 <alice@example.com>");
            assertThat(client.readLine()).startsWith("452 4.2.2 <bob@example.com>");
            exchange(client, "QUIT", "221 ");
            assertThat(client.closedByServer()).isTrue();
            assertThat(sessionEnd()).contains("proto=lmtp ").contains(" helo=front.test ")
                    .contains(" messages=1 rcpts=1 rejected=1 result=quit ");
            assertThat(events("accepted")).singleElement().asString().contains(" rcpts=1 ");
            assertThat(events("rejected")).containsExactly("event=rejected proto=lmtp code=452 dsn=4.2.2 reason=quota"
                    + " command=DATA client=127.0.0.1 from=<s@remote.test> to=<bob@example.com>");
            assertThat(count(server, "postern.smtp.messages.rejected", "reason", "quota")).isEqualTo(1);
        }
    }
}
