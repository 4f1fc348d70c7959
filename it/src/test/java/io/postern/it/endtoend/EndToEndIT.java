package io.postern.it.endtoend;

import static org.assertj.core.api.Assertions.assertThat;

import io.postern.it.servers.Slapd;
import io.postern.it.support.ExternalProcess;
import io.postern.it.support.Ports;
import io.postern.it.support.PosternProcess;
import io.postern.testing.Await;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
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
 * The whole message path as users see it, with real peers only: a real OpenLDAP slapd seeded
 * from ldif/demo.ldif, the real postern jar in its own JVM, swaks sending over STARTTLS, Python's
 * poplib fetching over STLS. Mail is accepted, queued, routed through aliases and groups,
 * written into Maildirs and retrieved; a mailbox added with ldapmodify receives mail without a
 * restart.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class EndToEndIT {
    @TempDir
    static Path dir;

    static Slapd slapd;
    static ExternalProcess node;
    static int mx;
    static int submission;
    static int pop3;
    static int admin;
    static Path spool;

    @BeforeAll
    static void start() throws Exception {
        slapd = Slapd.start(dir.resolve("slapd"), PosternProcess.checkout().resolve("ldif/demo.ldif"));
        mx = Ports.free();
        submission = Ports.free();
        pop3 = Ports.free();
        admin = Ports.free();
        Path home = Files.createDirectories(dir.resolve("node"));
        spool = home.resolve("spool");
        Path config = Files.writeString(home.resolve("postern.yaml"), """
                node: { hostname: mx.example.test, drainTimeout: 2s }
                listeners:
                  - { name: mx, kind: mx, port: %d, tls: starttls }
                  - { name: submission, kind: submission, port: %d, tls: starttls }
                  - { name: pop3, kind: pop3, port: %d, tls: starttls }
                admin: { port: %d, queueApi: { port: %d } }
                tls: { selfSigned: true, selfSignedDirectory: tls }
                directory:
                  urls: [%s]
                  baseDn: dc=example,dc=test
                  bindDn: %s
                  bindPassword: ${env:POSTERN_LDAP_PASSWORD}
                domains: [example.test]
                queue: { directory: queue }
                spool: { root: spool }
                """.formatted(mx, submission, pop3, admin, Ports.free(), slapd.url(), slapd.bindDn()));
        List<String> command = new ArrayList<>(PosternProcess.command(home, "serve", "--config", config.toString()));
        ProcessBuilder builder = new ProcessBuilder(command).directory(home.toFile()).redirectErrorStream(true)
                .redirectOutput(home.resolve("node.log").toFile());
        builder.environment().put("POSTERN_LDAP_PASSWORD", slapd.password());
        node = ExternalProcess.adopt("node", builder.start(), home.resolve("node.log"));
        node.awaitLog(Duration.ofSeconds(60), "event=started");
    }

    @AfterAll
    static void stop() throws Exception {
        if (node != null) {
            node.close();
        }
        if (slapd != null) {
            slapd.close();
        }
    }

    private static String swaks(int port, String... args) throws Exception {
        List<String> command = new ArrayList<>(List.of("swaks", "--server", "127.0.0.1:" + port, "--tls",
                "--timeout", "20", "--helo", "client.example.org"));
        command.addAll(List.of(args));
        return ExternalProcess.run(dir, Duration.ofSeconds(60), command).output();
    }

    private static List<Path> inbox(String user) throws IOException {
        Path folder = spool.resolve("example.test").resolve(user).resolve("new");
        if (!Files.isDirectory(folder)) {
            return List.of();
        }
        try (Stream<Path> files = Files.list(folder)) {
            return files.sorted().toList();
        }
    }

    private static void awaitInbox(String user, int count) throws Exception {
        Await.untilNoException(count + " messages in " + user + "'s Maildir", () -> inbox(user).size() >= count);
        assertThat(inbox(user)).as(user + "'s Maildir; node log:\n" + node.logText()).hasSize(count);
    }

    @Test
    @Order(1)
    void mailToMailboxesAliasesAndGroupsLandsInMaildirs() throws Exception {
        assertThat(swaks(mx, "--from", "sender@remote.example.org", "--to", "alice@example.test",
                "--header", "Subject: direct")).contains("<~  250 2.0.0");
        assertThat(swaks(mx, "--from", "sender@remote.example.org", "--to", "info@example.test",
                "--header", "Subject: via alias")).contains("<~  250 2.0.0");
        assertThat(swaks(mx, "--from", "sender@remote.example.org", "--to", "team@example.test",
                "--header", "Subject: via group")).contains("<~  250 2.0.0");
        awaitInbox("alice", 3);
        awaitInbox("bob", 1);
        String bobs = Files.readString(inbox("bob").getFirst());
        assertThat(bobs).startsWith("Return-Path: <sender@remote.example.org>\r\nDelivered-To: bob@example.test\r\n")
                .contains("Subject: via group").contains("with ESMTPS");
    }

    @Test
    @Order(2)
    void unknownUsersAndRelayAttemptsAreRefused() throws Exception {
        assertThat(swaks(mx, "--from", "sender@remote.example.org", "--to", "nobody@example.test"))
                .contains("<~* 550 5.1.1");
        assertThat(swaks(mx, "--from", "sender@remote.example.org", "--to", "victim@elsewhere.example.org"))
                .contains("<~* 554 5.7.1");
        assertThat(swaks(mx, "--from", "sender@remote.example.org", "--to", "alice%elsewhere.example.org@example.test"))
                .containsPattern("<~\\* 5\\d\\d");
    }

    @Test
    @Order(3)
    void submissionNeedsAuthAndOnlyTheUsersOwnAddresses() throws Exception {
        assertThat(swaks(submission, "--from", "alice@example.test", "--to", "bob@example.test",
                "--auth", "PLAIN", "--auth-user", "alice@example.test", "--auth-password", "wrong"))
                .contains("<~* 535 5.7.8");
        assertThat(swaks(submission, "--from", "bob@example.test", "--to", "bob@example.test",
                "--auth", "PLAIN", "--auth-user", "alice@example.test", "--auth-password", "alice-pw"))
                .contains("<~* 553 5.7.1");
        assertThat(swaks(submission, "--from", "alice@example.test", "--to", "bob@example.test",
                "--auth", "PLAIN", "--auth-user", "alice@example.test", "--auth-password", "alice-pw",
                "--header", "Subject: submitted")).contains("<~  250 2.0.0");
        awaitInbox("bob", 2);
    }

    @Test
    @Order(3)
    void authenticatingOnTheMxPortGivesSubmissionsSenderRules() throws Exception {
        // Issue 19, item 2: AUTH on port 25 used to skip the sender rules; a forged sender was relayed.
        assertThat(swaks(mx, "--from", "bob@example.test", "--to", "victim@elsewhere.example.org",
                "--auth", "PLAIN", "--auth-user", "alice@example.test", "--auth-password", "alice-pw"))
                .contains("<~* 553 5.7.1");
        assertThat(swaks(mx, "--from", "sender@remote.example.org", "--to", "victim@elsewhere.example.org",
                "--auth", "PLAIN", "--auth-user", "alice@example.test", "--auth-password", "alice-pw"))
                .contains("<~* 553 5.7.1");
        assertThat(node.logText()).contains("event=rejected").contains("code=553");
    }

    @Test
    @Order(4)
    void popRetrievesAndDeletesOverStls() throws Exception {
        String script = """
                import poplib, ssl
                p = poplib.POP3('127.0.0.1', %d, timeout=20)
                ctx = ssl.create_default_context(); ctx.check_hostname = False; ctx.verify_mode = ssl.CERT_NONE
                p.stls(context=ctx)
                p.user('bob@example.test'); p.pass_('bob-pw')
                count, size = p.stat()
                print('STAT', count, size)
                for i in range(1, count + 1):
                    lines = p.retr(i)[1]
                    print('SUBJECT', [l.decode() for l in lines if l.startswith(b'Subject:')][0])
                    p.dele(i)
                p.quit()
                """.formatted(pop3);
        ExternalProcess.Result result = ExternalProcess.run(dir, Duration.ofSeconds(60), List.of("python3", "-c", script));
        assertThat(result.exitCode()).as(result.output()).isZero();
        assertThat(result.output()).contains("STAT 2", "SUBJECT Subject: via group", "SUBJECT Subject: submitted");
        assertThat(Files.list(spool.resolve("example.test/bob/new"))).isEmpty();
        assertThat(Files.list(spool.resolve("example.test/bob/cur"))).isEmpty();
    }

    @Test
    @Order(5)
    void aMailboxAddedInTheDirectoryReceivesMailWithoutARestart() throws Exception {
        ExternalProcess.Result added = slapd.modify("""
                dn: uid=carol,ou=people,dc=example,dc=test
                objectClass: inetOrgPerson
                uid: carol
                cn: Carol Example
                sn: Example
                mail: carol@example.test
                userPassword: carol-pw
                """);
        assertThat(added.exitCode()).as(added.output()).isZero();
        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        String reply;
        do {
            reply = swaks(mx, "--from", "sender@remote.example.org", "--to", "carol@example.test");
        } while (!reply.contains("<~  250 2.0.0") && System.nanoTime() < deadline);
        assertThat(reply).contains("<~  250 2.0.0");
        awaitInbox("carol", 1);
    }

    @Test
    @Order(6)
    void metricsAndReadinessAreServed() throws Exception {
        HttpClient http = HttpClient.newHttpClient();
        HttpResponse<String> ready = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + admin + "/readyz"))
                .build(), HttpResponse.BodyHandlers.ofString());
        assertThat(ready.statusCode()).as(ready.body()).isEqualTo(200);
        String metrics = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + admin + "/metrics")).build(),
                HttpResponse.BodyHandlers.ofString()).body();
        assertThat(metrics).contains("postern_directory_cache_requests_total", "postern_pop3_logins_total",
                "postern_queue");
        assertThat(metrics).contains("postern_smtp_commands_total{application=\"postern\",command=\"EHLO\"",
                "postern_smtp_replies_total{application=\"postern\",code=\"250\"",
                "postern_smtp_messages_rejected_total{", "reason=\"unknown-user\"}");
        assertThat(node.logText()).contains("event=delivery").doesNotContain("alice-pw").doesNotContain("bob-pw")
                .contains("event=session-end proto=smtp", "event=accepted proto=smtp", "event=session-end proto=pop3");
    }
}
