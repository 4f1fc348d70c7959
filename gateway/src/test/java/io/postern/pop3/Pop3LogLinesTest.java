package io.postern.pop3;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.entry;

import io.postern.testing.LogCapture;
import io.postern.observability.LogLineParser;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * POP3 log lines carry the login exactly as the client sent it (a SASL PLAIN login may hold any
 * character but NUL) and reasons quoting directory values: each line reads back into exactly the
 * pairs that were meant (issue 19, item 7).
 */
class Pop3LogLinesTest {
    /** Through SASL PLAIN: line ends, quotes, backslashes, forged pairs, U+2028, bidi controls. */
    private static final String SASL_LOGIN = "dave result=ok\" login=root\\\r\nevent=pop3-login\u2028\u202e\u2067x";
    /** Through USER (one word): no space, but '=', quotes, backslashes, U+0085 and bidi. */
    private static final String USER_LOGIN = "mallory\"=x\\\u0085\u2029\u200f\u061cresult=ok";
    private static final String SPOOL = "box\r\nevent=fake \u2028\\\"";

    @TempDir
    Path dir;

    @Test
    void loginLinesReadBackExactly() throws Exception {
        try (LogCapture logs = LogCapture.root(); Pop3Fixture pop3 = Pop3Fixture.start(dir)) {
            pop3.directory.add("dave@example.test", "dave-pw", false, Optional.empty(), SASL_LOGIN)
                    .add("erin@example.test", "erin-pw", false, Optional.of(SPOOL), "erin");
            try (Pop3Client client = new Pop3Client(pop3.port)) {
                client.line();
                assertThat(client.command("AUTH PLAIN " + plain(SASL_LOGIN, "wrong"))).startsWith("-ERR");
                assertThat(client.command("USER " + USER_LOGIN)).startsWith("+OK");
                assertThat(client.command("PASS nope")).startsWith("-ERR");
                assertThat(client.command("USER erin")).startsWith("+OK");
                assertThat(client.command("PASS erin-pw")).startsWith("-ERR [SYS/PERM]");
                assertThat(client.command("AUTH PLAIN " + plain(SASL_LOGIN, "dave-pw"))).startsWith("+OK");
                assertThat(client.command("QUIT")).startsWith("+OK");
            }
            List<Map<String, String>> logins = logs.await("pop3-login", 4).stream().map(LogLineParser::parse).toList();
            assertThat(logins.get(0)).containsExactly(entry("event", "pop3-login"), entry("result", "failed"),
                    entry("client", "127.0.0.1"), entry("login", SASL_LOGIN), entry("reason", "wrong_password"));
            assertThat(logins.get(1)).containsExactly(entry("event", "pop3-login"), entry("result", "failed"),
                    entry("client", "127.0.0.1"), entry("login", USER_LOGIN), entry("reason", "unknown_user"));
            assertThat(logins.get(2)).containsEntry("login", "erin").containsEntry("result", "sys_perm")
                    .hasEntrySatisfying("reason", reason -> assertThat(reason).contains("'" + SPOOL + "'"))
                    .containsOnlyKeys("event", "result", "client", "login", "reason");
            assertThat(logins.get(3)).containsExactly(entry("event", "pop3-login"), entry("result", "ok"),
                    entry("client", "127.0.0.1"), entry("login", SASL_LOGIN), entry("messages", "0"),
                    entry("octets", "0"));
            Map<String, String> end = LogLineParser.parse(logs.await("session-end", 1).getFirst());
            assertThat(end).containsEntry("user", SASL_LOGIN).containsEntry("result", "quit")
                    .containsOnlyKeys("event", "proto", "client", "user", "tls", "retrieved", "deleted", "result",
                            "duration");
        }
    }

    private static String plain(String login, String password) {
        return Base64.getEncoder().encodeToString(("\0" + login + "\0" + password).getBytes(StandardCharsets.UTF_8));
    }
}
