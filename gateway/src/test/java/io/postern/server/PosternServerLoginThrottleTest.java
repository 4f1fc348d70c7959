package io.postern.server;

import static org.assertj.core.api.Assertions.assertThat;

import io.postern.config.ConfigLoader;
import io.postern.config.PosternConfig;
import io.postern.config.SecretResolver;
import io.postern.testing.MapDirectory;
import io.postern.smtp.SmtpTestClient;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The node's one login throttle, as the server wires it: failures on submission and on POP3
 * count together; a login that failed too often is refused from this network while another
 * login from the same network gets in; only the much higher per-network cap refuses everyone
 * ({@code 421 4.7.0} / {@code -ERR [SYS/TEMP]}).
 */
class PosternServerLoginThrottleTest {
    @TempDir
    Path dir;

    private PosternConfig config(int submission, int pop3) {
        return new ConfigLoader(new SecretResolver(Map.of())).parse("""
                node: {hostname: mx.test}
                admin: {enabled: false}
                listeners:
                  - {kind: submission, port: %d, tls: none}
                  - {kind: pop3, port: %d, tls: none}
                directory: {urls: ['ldap://127.0.0.1:1'], baseDn: 'dc=example,dc=com'}
                domains: [example.com]
                spool: {root: spool}
                auth:
                  allowPlaintextOnLoopback: true
                  throttle: {maxFailuresPerLogin: 3, maxFailuresPerNetwork: 6, delayAfterFailures: 100}
                """.formatted(submission, pop3), dir, "test.yaml");
    }

    private static int freePort() throws Exception {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    private static String plain(String login, String password) {
        return "AUTH PLAIN " + Base64.getEncoder().encodeToString(("\0" + login + "\0" + password)
                .getBytes(StandardCharsets.UTF_8));
    }

    private static SmtpTestClient smtp(int port) throws IOException {
        SmtpTestClient client = new SmtpTestClient(port);
        assertThat(client.readLine()).startsWith("220 ");
        client.send("EHLO client.test");
        client.reply();
        return client;
    }

    private static String auth(SmtpTestClient client, String login, String password) throws IOException {
        client.send(plain(login, password));
        return client.readLine();
    }

    /** USER/PASS on a POP3 session that has read its greeting; the PASS reply. */
    private static String pop3(SmtpTestClient client, String login, String password) throws IOException {
        client.send("USER " + login);
        assertThat(client.readLine()).startsWith("+OK");
        client.send("PASS " + password);
        return client.readLine();
    }

    @Test
    void smtpAndPop3ShareOneThrottleThatLocksALoginNotTheNetwork() throws Exception {
        int submission = freePort();
        int pop3 = freePort();
        MapDirectory directory = MapDirectory.fixture().user("bob", "bob-pw", "bob@example.com")
                .user("carol", "carol-pw", "bob@example.com");
        Files.createDirectories(dir.resolve("spool/example.com/bob/new"));
        try (PosternServer server = PosternServer.start(config(submission, pop3), Optional.of(directory));
             SmtpTestClient mail = smtp(submission);
             SmtpTestClient box = new SmtpTestClient(pop3)) {
            assertThat(box.readLine()).startsWith("+OK");
            // Two typos on submission and one on POP3: the third failure of alice from this network.
            assertThat(auth(mail, "alice", "typo1")).startsWith("535 5.7.8");
            assertThat(auth(mail, "alice", "typo2")).startsWith("535 5.7.8");
            assertThat(pop3(box, "alice", "typo3")).isEqualTo("-ERR [AUTH] Authentication failed");
            // alice is locked from this network on both protocols, even with her password...
            assertThat(auth(mail, "alice", "secret")).isEqualTo(
                    "454 4.7.0 Too many failed logins for this user from your network, try again later");
            assertThat(pop3(box, "alice", "secret")).isEqualTo(
                    "-ERR [AUTH] Too many failed logins for this user from your network, try again later");
            // ...while bob, behind the same address, logs in on both.
            assertThat(pop3(box, "bob", "bob-pw")).startsWith("+OK Mailbox locked and ready");
            try (SmtpTestClient other = smtp(submission)) {
                assertThat(auth(other, "bob", "bob-pw")).startsWith("235 2.7.0");
            }
            // Three more failures, of other logins, reach the network's cap (6): everyone is refused now.
            try (SmtpTestClient other = smtp(submission)) {
                assertThat(auth(other, "carol", "x")).startsWith("535 5.7.8");
                assertThat(auth(other, "dave", "x")).startsWith("535 5.7.8");
                assertThat(auth(other, "erin", "x")).startsWith("535 5.7.8");
                assertThat(auth(other, "carol", "carol-pw")).isEqualTo(
                        "421 4.7.0 mx.test too many authentication failures, closing connection");
                assertThat(other.closedByServer()).isTrue();
            }
            try (SmtpTestClient other = new SmtpTestClient(pop3)) {
                other.readLine();
                assertThat(pop3(other, "carol", "carol-pw")).isEqualTo(
                        "-ERR [SYS/TEMP] Too many failed logins from your network, try again later");
                assertThat(other.closedByServer()).isTrue();
            }
        }
    }
}
