package io.postern.smtp;

import static org.assertj.core.api.Assertions.assertThat;

import io.postern.testing.MapDirectory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.Base64;
import java.util.Optional;
import java.util.OptionalInt;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Who may relay, through the SMTP session: relay.permission (550 5.7.1 for external recipients,
 * internal ones still accepted), relay.limits (452 4.5.3 for extra RCPTs while the transaction goes
 * on; 451 4.7.1 past the hourly count, accepted again an hour later on a moved clock), and
 * relay.trustedNetworksFrom (networks listed in the directory relay without AUTH).
 */
class SmtpRelayPermissionTest {
    static final String NOT_PERMITTED = "550 5.7.1 Relay access denied: your account may send only to internal recipients";
    static final String GROUP = "relay:\n  permission: {group: 'cn=Mail Relay Users,ou=groups,dc=example,dc=com'}\n";

    @TempDir
    Path dir;

    /** A clock the test moves. */
    static final class MovableClock extends Clock {
        private volatile Instant now = Instant.parse("2026-12-03T10:00:00Z");

        void advance(Duration by) {
            now = now.plus(by);
        }

        @Override
        public ZoneId getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(ZoneId zone) {
            return this;
        }

        @Override
        public Instant instant() {
            return now;
        }
    }

    private SmtpTestServer server(String relay, Clock clock) throws Exception {
        String yaml = SmtpTestServer.yaml("submission", "none", "auth: {allowPlaintextOnLoopback: true}\n" + relay);
        return new SmtpTestServer(yaml, dir, MapDirectory.fixture(), Optional.empty(), clock);
    }

    private static SmtpTestClient loggedIn(SmtpTestServer server) throws Exception {
        SmtpTestClient client = new SmtpTestClient(server.port());
        assertThat(client.readLine()).startsWith("220 ");
        client.send("EHLO client.test");
        client.reply();
        client.send("AUTH PLAIN " + Base64.getEncoder().encodeToString("\0alice\0secret".getBytes(StandardCharsets.UTF_8)));
        assertThat(client.readLine()).startsWith("235 ");
        return client;
    }

    private static String send(SmtpTestClient c, String line) throws Exception {
        c.send(line);
        return c.reply();
    }

    private static String message(SmtpTestClient c) throws Exception {
        assertThat(send(c, "DATA")).startsWith("354 ");
        return send(c, "Subject: t\r\n\r\nhello\r\n.");
    }

    @Test
    void withoutThePermissionOnlyInternalRecipientsAreAccepted() throws Exception {
        try (SmtpTestServer server = server(GROUP, Clock.systemUTC()); SmtpTestClient c = loggedIn(server)) {
            assertThat(send(c, "MAIL FROM:<alice@example.com>")).startsWith("250 ");
            assertThat(send(c, "RCPT TO:<someone@remote.test>")).isEqualTo(NOT_PERMITTED);
            assertThat(send(c, "RCPT TO:<bob@example.com>")).startsWith("250 2.1.5");
            assertThat(message(c)).startsWith("250 2.0.0 Ok: queued as ");
            // Granted in the directory: the next RCPT asks again (the real cache is evicted by change tracking).
            server.directory.relayPermission("uid=alice", true);
            assertThat(send(c, "MAIL FROM:<alice@example.com>")).startsWith("250 ");
            assertThat(send(c, "RCPT TO:<someone@remote.test>")).startsWith("250 2.1.5");
        }
    }

    @Test
    void offByDefaultEveryAuthenticatedUserMayRelay() throws Exception {
        try (SmtpTestServer server = server("", Clock.systemUTC()); SmtpTestClient c = loggedIn(server)) {
            assertThat(send(c, "MAIL FROM:<alice@example.com>")).startsWith("250 ");
            assertThat(send(c, "RCPT TO:<someone@remote.test>")).startsWith("250 2.1.5");
        }
    }

    @Test
    void extraRecipientsGet452AndTheTransactionGoesOn() throws Exception {
        try (SmtpTestServer server = server("relay:\n  limits: {recipientsPerMessage: 2}\n", Clock.systemUTC());
             SmtpTestClient c = loggedIn(server)) {
            assertThat(send(c, "MAIL FROM:<alice@example.com>")).startsWith("250 ");
            assertThat(send(c, "RCPT TO:<one@remote.test>")).startsWith("250 ");
            assertThat(send(c, "RCPT TO:<two@remote.test>")).startsWith("250 ");
            assertThat(send(c, "RCPT TO:<three@remote.test>")).startsWith("452 4.5.3 Too many recipients for this sender");
            assertThat(message(c)).startsWith("250 2.0.0 Ok: queued as ");
            assertThat(server.sink.stored().getLast().envelope().recipients()).hasSize(2);
        }
    }

    @Test
    void theUsersOwnLimitFromTheDirectoryWins() throws Exception {
        String relay = "relay:\n  limits: {recipientsPerMessage: 5, recipientsPerMessageAttribute: posternMaxRecipients}\n";
        try (SmtpTestServer server = server(relay, Clock.systemUTC())) {
            server.directory.senderLimits("uid=alice", OptionalInt.of(1), OptionalInt.empty());
            try (SmtpTestClient c = loggedIn(server)) {
                assertThat(send(c, "MAIL FROM:<alice@example.com>")).startsWith("250 ");
                assertThat(send(c, "RCPT TO:<one@remote.test>")).startsWith("250 ");
                assertThat(send(c, "RCPT TO:<two@remote.test>")).startsWith("452 4.5.3 ");
            }
        }
    }

    @Test
    void theHourlyLimitRefusesAtMailAndResetsAnHourLater() throws Exception {
        MovableClock clock = new MovableClock();
        try (SmtpTestServer server = server("relay:\n  limits: {messagesPerHour: 2}\n", clock);
             SmtpTestClient c = loggedIn(server)) {
            for (int i = 0; i < 2; i++) {
                assertThat(send(c, "MAIL FROM:<alice@example.com>")).startsWith("250 ");
                assertThat(send(c, "RCPT TO:<bob@example.com>")).startsWith("250 ");
                assertThat(message(c)).startsWith("250 2.0.0 Ok: queued as ");
                clock.advance(Duration.ofMinutes(10));
            }
            assertThat(send(c, "MAIL FROM:<alice@example.com>"))
                    .isEqualTo("451 4.7.1 Too many messages from this sender in the last hour, try again later");
            // The first message leaves the sliding hour 60 minutes after it was accepted.
            clock.advance(Duration.ofMinutes(41));
            assertThat(send(c, "MAIL FROM:<alice@example.com>")).startsWith("250 ");
        }
    }

    @Test
    void theHourlyLimitIsSharedOutOverTheFrontNodes() throws Exception {
        try (SmtpTestServer server = server("relay:\n  limits: {messagesPerHour: 5, frontNodes: 3}\n",
                new MovableClock()); SmtpTestClient c = loggedIn(server)) {
            for (int i = 0; i < 2; i++) {
                assertThat(send(c, "MAIL FROM:<alice@example.com>")).startsWith("250 ");
                assertThat(send(c, "RCPT TO:<bob@example.com>")).startsWith("250 ");
                assertThat(message(c)).startsWith("250 ");
            }
            // ceil(5 / 3) = 2 on this node.
            assertThat(send(c, "MAIL FROM:<alice@example.com>")).startsWith("451 4.7.1 ");
        }
    }

    @Test
    void networksListedInTheDirectoryMayRelayWithoutAuth() throws Exception {
        String relay = "relay:\n  trustedNetworksFrom: {dn: 'cn=postern,ou=config,dc=example,dc=com', attribute: posternTrustedNetwork}\n";
        String yaml = SmtpTestServer.yaml("mx", "none", relay);
        try (SmtpTestServer server = new SmtpTestServer(yaml, dir, MapDirectory.fixture());
             SmtpTestClient c = new SmtpTestClient(server.port())) {
            assertThat(c.readLine()).startsWith("220 ");
            assertThat(send(c, "EHLO client.test")).startsWith("250 ");
            assertThat(send(c, "MAIL FROM:<someone@remote.test>")).startsWith("250 ");
            assertThat(send(c, "RCPT TO:<other@remote.test>")).startsWith("554 5.7.1 Relay access denied");
            server.directory.trustedNetworks("cn=postern,ou=config,dc=example,dc=com", "10.0.0.0/8", "127.0.0.0/8");
            assertThat(send(c, "RCPT TO:<other@remote.test>")).startsWith("250 ");
        }
    }
}
