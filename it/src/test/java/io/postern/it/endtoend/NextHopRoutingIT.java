package io.postern.it.endtoend;

import static org.assertj.core.api.Assertions.assertThat;

import io.postern.it.servers.Slapd;
import io.postern.it.servers.SmtpSink;
import io.postern.it.support.ExternalProcess;
import io.postern.it.support.Ports;
import io.postern.it.support.PosternProcess;
import io.postern.testing.Await;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 18, "Where a mailbox lives", with real peers only: a real slapd holding a Postfix + LDAP
 * tree on misc.schema (profile inet-local-mail) where bob has a {@code mailHost} naming another
 * server and erin lives in the relay domain legacy.test; two Postfix smtp-sinks on loopback play
 * bob's home server and legacy.test's internal server; the real postern jar routes. Checked: what
 * each peer received, what is (and is not) in the node's Maildirs, the RCPT reply swaks sees, the
 * node's log, and what {@code postern lookup} says.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class NextHopRoutingIT {
    private static final Duration WAIT = Await.DEADLINE;

    @TempDir
    static Path dir;

    static Slapd slapd;
    static SmtpSink home;
    static SmtpSink legacy;
    static SmtpSink apps;
    static int homePort;
    static int legacyPort;
    static int appsPort;
    static ExternalProcess node;
    static Path nodeHome;
    static Path config;
    static int mx;

    @BeforeAll
    static void start() throws Exception {
        homePort = Ports.free();
        legacyPort = Ports.free();
        appsPort = Ports.free();
        slapd = Slapd.startWithSchemas(dir.resolve("slapd"), PosternProcess.checkout().resolve("ldif/inet-local-mail/sample.ldif"),
                List.of(Path.of("/etc/ldap/schema/misc.ldif")));
        ExternalProcess.Result seeded = slapd.modify("""
                dn: uid=bob,ou=people,dc=example,dc=test
                changetype: modify
                add: mailHost
                mailHost: smtp:[127.0.0.3]:%d

                dn: uid=erin,ou=people,dc=example,dc=test
                changetype: add
                objectClass: inetOrgPerson
                objectClass: inetLocalMailRecipient
                uid: erin
                cn: Erin Legacy
                sn: Legacy
                mailLocalAddress: erin@legacy.test
                """.formatted(homePort));
        assertThat(seeded.exitCode()).as(seeded.output()).isZero();
        home = SmtpSink.start(dir, "home", "127.0.0.3", homePort);
        legacy = SmtpSink.start(dir, "legacy", "127.0.0.4", legacyPort);
        apps = SmtpSink.start(dir, "apps", "127.0.0.5", appsPort, "-L");

        mx = Ports.free();
        nodeHome = Files.createDirectories(dir.resolve("node"));
        config = Files.writeString(nodeHome.resolve("postern.yaml"), """
                node: { hostname: mx.example.test, drainTimeout: 2s }
                listeners:
                  - { name: mx, kind: mx, port: %d }
                admin: { enabled: false }
                domains: [example.test]
                directory:
                  profile: inet-local-mail
                  urls: [%s]
                  baseDn: dc=example,dc=test
                  bindDn: cn=admin,dc=example,dc=test
                  bindPassword: admin-pw
                routing:
                  relayDomains:
                    - { domain: legacy.test, nextHop: "smtp:[127.0.0.4]:%d" }
                    - { domain: apps.test, nextHop: "lmtp:127.0.0.5:%d", verify: none }
                queue:
                  directory: queue
                  retrySchedule: [1s]
                  destinationFailureThreshold: 1000
                spool: { root: spool }
                outbound:
                  timeouts: { connect: 2s, greeting: 5s, helo: 5s, mail: 5s, rcpt: 5s, dataInit: 5s, dataBlock: 5s, dataDone: 5s }
                """.formatted(mx, slapd.url(), legacyPort, appsPort));
        List<String> command = new ArrayList<>(PosternProcess.command(nodeHome, "serve", "--config", config.toString()));
        ProcessBuilder builder = new ProcessBuilder(command).directory(nodeHome.toFile()).redirectErrorStream(true)
                .redirectOutput(nodeHome.resolve("node.log").toFile());
        node = ExternalProcess.adopt("node", builder.start(), nodeHome.resolve("node.log"));
        node.awaitLog(Duration.ofSeconds(60), "event=started");
    }

    @AfterAll
    static void stop() throws Exception {
        for (AutoCloseable c : new AutoCloseable[] {node, home, legacy, apps, slapd}) {
            if (c != null) {
                c.close();
            }
        }
    }

    private static String swaks(String to, String subject) throws IOException, InterruptedException {
        return ExternalProcess.run(nodeHome, Duration.ofSeconds(60), List.of("swaks", "--server", "127.0.0.1:" + mx,
                "--timeout", "20", "--helo", "client.example.org", "--from", "sender@remote.example.org",
                "--to", to, "--header", "Subject: " + subject)).output();
    }

    private static List<Path> maildir(String domain, String user) throws IOException {
        Path folder = nodeHome.resolve("spool").resolve(domain).resolve(user).resolve("new");
        if (!Files.isDirectory(folder)) {
            return List.of();
        }
        try (Stream<Path> files = Files.list(folder)) {
            return files.toList();
        }
    }

    @Test
    @Order(1)
    void anUnknownUserOfTheRelayDomainIsRefusedAtRcpt() throws Exception {
        String out = swaks("nobody@legacy.test", "unknown");
        assertThat(out).contains("<** 550 5.1.1");
        assertThat(legacy.messages()).isEmpty();
    }

    @Test
    @Order(2)
    void aRelayDomainUserReachesTheInternalServerAndNothingIsStoredHere() throws Exception {
        assertThat(swaks("erin@legacy.test", "relay-1")).contains("<-  250 2.0.0");
        String received = legacy.awaitMessage(WAIT, "Subject: relay-1");
        assertThat(received).contains("erin@legacy.test");
        assertThat(home.messages()).noneMatch(m -> m.contains("relay-1"));
        assertThat(maildir("legacy.test", "erin")).isEmpty();
        assertThat(nodeHome.resolve("spool/legacy.test")).doesNotExist();
    }

    @Test
    @Order(2)
    void anUnverifiedRelayDomainTakesAnyAddressAndHandsItToItsLmtpNextHop() throws Exception {
        assertThat(swaks("whoever@apps.test", "lmtp-1")).contains("<-  250 2.0.0");
        String received = apps.awaitMessage(WAIT, "Subject: lmtp-1");
        assertThat(received).contains("whoever@apps.test");
        assertThat(nodeHome.resolve("spool/apps.test")).doesNotExist();
    }

    @Test
    @Order(3)
    void theHomeServerUserReachesTheHomeServerWhileTheRestOfTheDomainIsLocal() throws Exception {
        assertThat(swaks("bob@example.test", "migrated-1")).contains("<-  250 2.0.0");
        assertThat(swaks("alice@example.test", "local-1")).contains("<-  250 2.0.0");
        String received = home.awaitMessage(WAIT, "Subject: migrated-1");
        assertThat(received).contains("bob@example.test");
        Await.untilNoException("alice's copy in her Maildir", () -> maildir("example.test", "alice").size() == 1);
        assertThat(Files.readString(maildir("example.test", "alice").getFirst())).contains("Subject: local-1");
        assertThat(maildir("example.test", "bob")).isEmpty();
        assertThat(home.messages()).noneMatch(m -> m.contains("local-1"));
        assertThat(node.logText()).contains("event=next-hop").contains("next_hop=smtp:[127.0.0.3]:" + homePort);
    }

    @Test
    @Order(4)
    void whenTheNextHopIsDownTheMessageIsDeferredAndDeliveredWhenItReturns() throws Exception {
        legacy.stop();
        assertThat(swaks("erin@legacy.test", "while-down")).contains("<-  250 2.0.0");
        Await.untilNoException("a deferral for erin in the node's log", () -> node.logText().lines().anyMatch(l ->
                l.contains("event=routed") && l.contains("rcpt=erin@legacy.test") && l.contains("status=DEFERRED")));
        legacy = SmtpSink.start(dir, "legacy-back", "127.0.0.4", legacyPort);
        String received = legacy.awaitMessage(WAIT, "Subject: while-down");
        assertThat(received).contains("erin@legacy.test");
        assertThat(nodeHome.resolve("spool/legacy.test")).doesNotExist();
    }

    @Test
    @Order(5)
    void lookupExplainsTheTransportAndWhy() throws Exception {
        ExternalProcess.Result bob = ExternalProcess.run(nodeHome, Duration.ofSeconds(60),
                PosternProcess.command(nodeHome, "lookup", "--config", config.toString(), "bob@example.test"));
        assertThat(bob.exitCode()).as(bob.output()).isZero();
        assertThat(bob.output()).contains("transport: bob@example.test -> home server smtp:[127.0.0.3]:" + homePort
                + " (home server smtp:[127.0.0.3]:" + homePort + " of uid=bob,ou=people,dc=example,dc=test");
        ExternalProcess.Result erin = ExternalProcess.run(nodeHome, Duration.ofSeconds(60),
                PosternProcess.command(nodeHome, "lookup", "--config", config.toString(), "erin@legacy.test"));
        assertThat(erin.exitCode()).as(erin.output()).isZero();
        assertThat(erin.output()).contains("domain:   legacy.test is a relay domain (next hop smtp:[127.0.0.4]:"
                + legacyPort).contains("transport: erin@legacy.test -> relay next hop smtp:[127.0.0.4]:" + legacyPort);
        ExternalProcess.Result alice = ExternalProcess.run(nodeHome, Duration.ofSeconds(60),
                PosternProcess.command(nodeHome, "lookup", "--config", config.toString(), "alice@example.test"));
        assertThat(alice.output()).contains("transport: alice@example.test -> local spool under");
        ExternalProcess.Result nobody = ExternalProcess.run(nodeHome, Duration.ofSeconds(60),
                PosternProcess.command(nodeHome, "lookup", "--config", config.toString(), "nobody@legacy.test"));
        assertThat(nobody.exitCode()).as(nobody.output()).isEqualTo(1);
    }
}
