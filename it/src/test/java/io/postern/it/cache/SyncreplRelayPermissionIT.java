package io.postern.it.cache;

import static org.assertj.core.api.Assertions.assertThat;

import io.postern.config.ConfigLoader;
import io.postern.config.ListenerKind;
import io.postern.config.PosternConfig;
import io.postern.config.SecretResolver;
import io.postern.it.support.ExternalProcess;
import io.postern.it.support.Ports;
import io.postern.mail.Acceptance;
import io.postern.mail.RecipientOutcome;
import io.postern.mail.IncomingMessage;
import io.postern.mail.MessageSink;
import io.postern.server.PosternServer;
import io.postern.smtp.SmtpTestClient;
import io.postern.testing.Await;
import io.postern.testing.LogCapture;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Who may relay, decided by a real slapd (syncprov) through a whole Postern node (LDAP adapter,
 * cache, change tracking, SMTP): relay.permission.group is "cn=mail relay users", which lists
 * the group "cn=relay team", which lists alice. swaks shows erin (no permission) refused for an
 * external recipient with 550 5.7.1 and accepted for an internal one; erin added to the inner
 * group relays within a second of ldapmodify returning (syncrepl evicts the cached answer), and
 * removed is refused again within a second. Networks listed on a directory entry
 * (relay.trustedNetworksFrom) let an anonymous client relay as soon as the entry lists them.
 */
class SyncreplRelayPermissionIT {
    private static final String RELAY_GROUP = "cn=mail relay users,ou=groups,dc=example,dc=test";
    private static final String TEAM = "cn=relay team,ou=groups,dc=example,dc=test";
    private static final String NETWORKS = "ou=relay,dc=example,dc=test";
    private static final String NOT_PERMITTED = "550 5.7.1 Relay access denied: your account may send only to internal recipients";

    @TempDir
    Path dir;

    @Test
    void groupMembershipAndTrustedNetworksFollowTheDirectoryWithinASecond() throws Exception {
        int ldapPort = Ports.free();
        try (CacheSlapd slapd = CacheSlapd.start(dir.resolve("slapd"), ldapPort)) {
            slapd.modify("""
                    dn: %s
                    changetype: add
                    objectClass: groupOfNames
                    cn: relay team
                    member: uid=alice,ou=people,dc=example,dc=test

                    dn: %s
                    changetype: add
                    objectClass: groupOfNames
                    cn: mail relay users
                    member: %s

                    dn: %s
                    changetype: add
                    objectClass: organizationalUnit
                    ou: relay
                    description: not-a-network
                    """.formatted(TEAM, RELAY_GROUP, TEAM, NETWORKS));
            int mx = Ports.free();
            int submission = Ports.free();
            PosternConfig config = new ConfigLoader(new SecretResolver(Map.of())).parse("""
                    node: {hostname: mx.example.test}
                    listeners:
                      - {kind: mx, address: 127.0.0.1, port: %d}
                      - {kind: submission, address: 127.0.0.1, port: %d}
                    admin: {enabled: false}
                    auth: {allowPlaintextOnLoopback: true}
                    smtp: {maxErrors: 1000}
                    domains: [example.test]
                    directory:
                      profile: openldap
                      urls: [%s]
                      baseDn: dc=example,dc=test
                      bindDn: %s
                      bindPassword: %s
                    cache:
                      ttl: { positive: 10m, negative: 10m }
                    relay:
                      trustedNetworksFrom: { dn: '%s', attribute: description }
                      permission: { group: '%s' }
                    """.formatted(mx, submission, slapd.url(), CacheSlapd.ADMIN, CacheSlapd.PASSWORD, NETWORKS,
                    RELAY_GROUP), dir, "it.yaml");
            LogCapture ldapLog = LogCapture.of(io.postern.directory.ldap.LdapDirectory.class);
            LogCapture trackerLog = LogCapture.of(io.postern.directory.ldap.ChangeTracker.class);
            try (PosternServer server = PosternServer.start(config, new PosternServer.Parts(Optional.empty(),
                    Optional.of(acceptAll())))) {
                assertThat(server.boundListeners()).anyMatch(b -> b.config().kind() == ListenerKind.SUBMISSION);
                trackerLog.await("directory-tracking-ready", 1);

                // swaks: erin may send inside, not outside; alice (nested member) may send outside.
                assertThat(swaks(submission, "erin", "erin-pw", "erin@example.test", "friend@remote.test"))
                        .contains("<** " + NOT_PERMITTED);
                assertThat(swaks(submission, "erin", "erin-pw", "erin@example.test", "alice@example.test"))
                        .contains("250 2.0.0 Ok: queued as");
                assertThat(swaks(submission, "alice", "alice-pw", "alice@example.test", "friend@remote.test"))
                        .contains("250 2.0.0 Ok: queued as");

                try (SmtpTestClient erin = loggedIn(submission, "erin", "erin-pw")) {
                    assertThat(send(erin, "MAIL FROM:<erin@example.test>")).startsWith("250 ");
                    assertThat(send(erin, "RCPT TO:<friend@remote.test>")).isEqualTo(NOT_PERMITTED);
                    slapd.modify("""
                            dn: %s
                            changetype: modify
                            add: member
                            member: uid=erin,ou=people,dc=example,dc=test
                            """.formatted(TEAM));
                    long granted = millisUntil(() -> reply(erin, "RCPT TO:<friend@remote.test>").startsWith("250 "));
                    System.out.printf("relay permission granted %d ms after ldapmodify returned%n", granted);
                    assertThat(granted).as("granted within a second").isLessThan(1000);

                    slapd.modify("""
                            dn: %s
                            changetype: modify
                            delete: member
                            member: uid=erin,ou=people,dc=example,dc=test
                            """.formatted(TEAM));
                    long revoked = millisUntil(() -> reply(erin, "RCPT TO:<other@remote.test>").equals(NOT_PERMITTED));
                    System.out.printf("relay permission revoked %d ms after ldapmodify returned%n", revoked);
                    assertThat(revoked).as("revoked within a second").isLessThan(1000);
                    assertThat(send(erin, "RCPT TO:<alice@example.test>")).as("internal still fine").startsWith("250 ");
                }

                // Trusted networks from the directory entry: nothing valid yet, so an anonymous client may not relay.
                try (SmtpTestClient anonymous = new SmtpTestClient(mx)) {
                    assertThat(anonymous.readLine()).startsWith("220 ");
                    assertThat(send(anonymous, "EHLO client.test")).startsWith("250 ");
                    assertThat(send(anonymous, "MAIL FROM:<someone@remote.test>")).startsWith("250 ");
                    assertThat(send(anonymous, "RCPT TO:<other@remote.test>")).startsWith("554 5.7.1 ");
                    assertThat(ldapLog.events("relay-network-invalid")).anySatisfy(l -> assertThat(l)
                            .contains("not-a-network"));
                    slapd.modify("""
                            dn: %s
                            changetype: modify
                            add: description
                            description: 127.0.0.0/8
                            """.formatted(NETWORKS));
                    long trusted = millisUntil(() -> reply(anonymous, "RCPT TO:<other@remote.test>").startsWith("250 "));
                    System.out.printf("trusted network listed %d ms after ldapmodify returned%n", trusted);
                    assertThat(trusted).isLessThan(1000);
                }
            } finally {
                ldapLog.close();
                trackerLog.close();
            }
        }
    }

    private String swaks(int port, String user, String password, String from, String to) throws Exception {
        ExternalProcess.Result r = ExternalProcess.run(dir, Duration.ofSeconds(30), List.of("swaks", "--timeout", "10",
                "--server", "127.0.0.1:" + port, "--auth", "PLAIN", "--auth-user", user, "--auth-password", password,
                "--from", from, "--to", to, "--header", "Subject: relay-permission"));
        return r.output();
    }

    private static SmtpTestClient loggedIn(int port, String user, String password) throws Exception {
        SmtpTestClient client = new SmtpTestClient(port);
        assertThat(client.readLine()).startsWith("220 ");
        assertThat(send(client, "EHLO client.test")).startsWith("250 ");
        assertThat(send(client, "AUTH PLAIN " + Base64.getEncoder().encodeToString(("\0" + user + "\0" + password)
                .getBytes(StandardCharsets.UTF_8)))).startsWith("235 ");
        return client;
    }

    private static String send(SmtpTestClient client, String line) throws Exception {
        client.send(line);
        return client.reply();
    }

    private static String reply(SmtpTestClient client, String line) {
        try {
            return send(client, line);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    /** Milliseconds until {@code condition} holds, polled every 5 ms; 5000 when it never does within 5 s. */
    private static long millisUntil(BooleanSupplier condition) throws InterruptedException {
        long start = System.nanoTime();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() - start > Duration.ofSeconds(5).toNanos()) {
                return 5000;
            }
            Thread.sleep(5);
        }
        return Duration.ofNanos(System.nanoTime() - start).toMillis();
    }

    /** Accepts every message and keeps nothing: this test is about RCPT decisions. */
    private static MessageSink acceptAll() {
        return envelope -> new IncomingMessage() {
            @Override
            public void write(byte[] bytes, int offset, int length) {
            }

            @Override
            public CompletableFuture<Acceptance> commit() {
                return CompletableFuture.completedFuture(new Acceptance("RP" + System.nanoTime(), envelope.recipients()
                        .stream().map(r -> (RecipientOutcome) Acceptance.QUEUED).toList()));
            }

            @Override
            public void abort() {
            }
        };
    }
}
