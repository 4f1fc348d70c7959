package io.postern.smtp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.entry;

import io.postern.testing.MapDirectory;
import io.postern.testing.LogCapture;
import io.postern.observability.LogLineParser;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Base64;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * SMTP log lines carry the HELO name, envelope addresses and login as the client sent them: each
 * line reads back into exactly the pairs that were meant (issue 19, item 7).
 */
class SmtpLogLinesTest {
    private static final String HELO = "x\\\"helo=forged\\result=quit\u2028auth=root\u202e\u0085";
    /** RFC 6531 quoted local parts: spaces, '=', U+2028/U+0085 and bidi controls are all legal there. */
    private static final String SENDER = "\"a queue_id=FAKE rcpts=9\u2028event=accepted\u0085\u202egpj.exe\"@example.com";
    private static final String UNKNOWN = "\"b code=250 reason=ok\u2066\u200f\"@example.com";
    /** A directory login name may hold anything; SASL PLAIN carries it with line ends and all. */
    private static final String LOGIN = "carol auth=root\\\" messages=9\r\nevent=auth-ok\u2029\u061c";

    @TempDir
    Path tmp;

    @Test
    void sessionLinesReadBackExactly() throws Exception {
        try (LogCapture logs = LogCapture.root();
             SmtpTestServer server = new SmtpTestServer(SmtpTestServer.yaml("submission", "none",
                     "auth: {allowPlaintextOnLoopback: true}\n"), tmp, MapDirectory.fixture())) {
            server.directory.user(LOGIN, "carol-pw", SENDER);
            String plain = Base64.getEncoder().encodeToString(("\0" + LOGIN + "\0carol-pw")
                    .getBytes(StandardCharsets.UTF_8));
            try (SmtpTestClient client = new SmtpTestClient(server.port())) {
                assertThat(client.readLine()).startsWith("220 ");
                exchange(client, "EHLO " + HELO, "250 ");
                exchange(client, "AUTH PLAIN " + plain, "235 ");
                exchange(client, "MAIL FROM:<" + SENDER + "> SMTPUTF8", "250 ");
                exchange(client, "RCPT TO:<" + UNKNOWN + ">", "550 ");
                exchange(client, "RCPT TO:<alice@example.com>", "250 ");
                exchange(client, "DATA", "354 ");
                client.send("Subject: hi\r\n\r\nbody\r\n.");
                assertThat(client.reply()).startsWith("250 ");
                exchange(client, "QUIT", "221 ");
            }
            Map<String, String> auth = LogLineParser.parse(logs.await("auth-ok", 1).getFirst());
            assertThat(auth).containsExactly(entry("event", "auth-ok"), entry("client", "127.0.0.1"),
                    entry("login", LOGIN));
            Map<String, String> rejected = LogLineParser.parse(logs.await("rejected", 1).getFirst());
            assertThat(rejected).containsExactly(entry("event", "rejected"), entry("proto", "submission"),
                    entry("code", "550"), entry("dsn", "5.1.1"), entry("reason", "unknown-user"),
                    entry("command", "RCPT"), entry("client", "127.0.0.1"), entry("from", "<" + SENDER + ">"),
                    entry("to", "<" + UNKNOWN + ">"));
            Map<String, String> accepted = LogLineParser.parse(logs.await("accepted", 1).getFirst());
            assertThat(accepted).containsExactly(entry("event", "accepted"), entry("proto", "submission"),
                    entry("queue_id", accepted.get("queue_id")), entry("from", "<" + SENDER + ">"),
                    entry("rcpts", "1"), entry("size", accepted.get("size")), entry("client", "127.0.0.1"));
            Map<String, String> end = LogLineParser.parse(logs.await("session-end", 1).getFirst());
            assertThat(end).containsExactly(entry("event", "session-end"), entry("proto", "submission"),
                    entry("client", "127.0.0.1"), entry("helo", HELO), entry("tls", "no"), entry("auth", LOGIN),
                    entry("messages", "1"), entry("rcpts", "1"), entry("rejected", "1"), entry("result", "quit"),
                    entry("duration", end.get("duration")));
        }
    }

    private static void exchange(SmtpTestClient client, String command, String expected) throws Exception {
        client.send(command);
        assertThat(client.reply()).as(command).startsWith(expected);
    }
}
