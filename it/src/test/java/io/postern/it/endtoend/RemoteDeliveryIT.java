package io.postern.it.endtoend;

import static org.assertj.core.api.Assertions.assertThat;

import io.postern.it.servers.Dnsmasq;
import io.postern.it.servers.PostfixMx;
import io.postern.it.servers.Slapd;
import io.postern.it.servers.SmtpSink;
import io.postern.it.servers.TestCertificates;
import io.postern.it.support.ExternalProcess;
import io.postern.it.support.Ports;
import io.postern.it.support.PosternProcess;
import io.postern.testing.Await;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * Remote delivery through the whole path, with real peers only: alice submits with swaks (AUTH
 * after STARTTLS) to the real postern jar, which looks the recipient domains up in a private
 * dnsmasq and sends to remote MXes on 127.0.0.x (a private Postfix with STARTTLS, Postfix's
 * smtp-sink accepting, greylisting or rejecting). The directory is a real slapd seeded from
 * ldif/demo.ldif, with a quota on bob and a hostile spool override added by ldapmodify. What is
 * checked is what users see: what each MX received, the node's {@code event=delivery} lines, the
 * queue as {@code postern queue list} shows it, RFC 3464 bounces in alice's Maildir (parsed with
 * Python's email module), and that nothing is written outside the spool root.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class RemoteDeliveryIT {
    private static final Duration WAIT = Await.DEADLINE;

    @TempDir
    static Path dir;

    static Slapd slapd;
    static Dnsmasq dns;
    static int mxPort;
    static PostfixMx postfix;
    static SmtpSink backup;
    static SmtpSink fallback;
    static SmtpSink greylisting;
    static SmtpSink repaired;
    static SmtpSink rejecting;
    static SmtpSink stubborn;
    static ExternalProcess node;
    static Path home;
    static Path spool;
    static int submission;
    static int admin;
    static int queueApi;

    @BeforeAll
    static void start() throws Exception {
        slapd = Slapd.start(dir.resolve("slapd"), PosternProcess.checkout().resolve("ldif/demo.ldif"));
        ExternalProcess.Result seeded = slapd.modify("""
                dn: uid=bob,ou=people,dc=example,dc=test
                changetype: modify
                add: posternQuotaBytes
                posternQuotaBytes: 2000

                dn: uid=mallory,ou=people,dc=example,dc=test
                changetype: add
                objectClass: inetOrgPerson
                objectClass: posternMailRecipient
                uid: mallory
                cn: Mallory Example
                sn: Example
                mail: mallory@example.test
                posternSpoolLocation: ../../etc

                dn: uid=trudy,ou=people,dc=example,dc=test
                changetype: add
                objectClass: inetOrgPerson
                objectClass: posternMailRecipient
                uid: trudy
                cn: Trudy Example
                sn: Example
                mail: "../../trudy"@example.test
                """);
        assertThat(seeded.exitCode()).as(seeded.output()).isZero();

        dns = Dnsmasq.builder().localDomain("test")
                .mx("prio.test", "mx1.prio.test", 10).mx("prio.test", "mx2.prio.test", 20)
                .host("mx1.prio.test", "127.0.0.1").host("mx2.prio.test", "127.0.0.3")
                .mx("down.test", "mx1.down.test", 10).mx("down.test", "mx2.down.test", 20)
                .host("mx1.down.test", "127.0.0.4").host("mx2.down.test", "127.0.0.2")
                .mx("temp.test", "mx.temp.test", 10).host("mx.temp.test", "127.0.0.5")
                .mx("perm.test", "mx.perm.test", 10).host("mx.perm.test", "127.0.0.6")
                .nullMx("nullmx.test")
                .mx("grey.test", "mx.grey.test", 10).host("mx.grey.test", "127.0.0.8")
                .start(dir.resolve("dns"));
        mxPort = Ports.free();
        TestCertificates pki = TestCertificates.create(dir.resolve("pki"));
        postfix = PostfixMx.start(dir.resolve("postfix"), mxPort, "mx1.prio.test", pki.certificate(), pki.privateKey(),
                List.of("prio.test"), Optional.empty());
        backup = SmtpSink.start(dir, "backup", "127.0.0.3", mxPort);
        fallback = SmtpSink.start(dir, "fallback", "127.0.0.2", mxPort);
        greylisting = SmtpSink.start(dir, "greylisting", "127.0.0.5", mxPort,
                "-r", "RCPT", "-b", "451 4.7.1 Greylisted, please try again later");
        rejecting = SmtpSink.start(dir, "rejecting", "127.0.0.6", mxPort,
                "-f", "RCPT", "-B", "550 5.1.1 No such user here");
        stubborn = SmtpSink.start(dir, "stubborn", "127.0.0.8", mxPort,
                "-r", "RCPT", "-b", "452 4.2.2 Mailbox busy, try again later");

        int mx = Ports.free();
        submission = Ports.free();
        admin = Ports.free();
        queueApi = Ports.free();
        home = Files.createDirectories(dir.resolve("node"));
        spool = home.resolve("spool");
        Path config = Files.writeString(home.resolve("postern.yaml"), """
                node: { hostname: mx.example.test, drainTimeout: 2s }
                listeners:
                  - { name: mx, kind: mx, port: %d, tls: starttls }
                  - { name: submission, kind: submission, port: %d, tls: starttls }
                admin: { port: %d, queueApi: { port: %d } }
                tls: { selfSigned: true, selfSignedDirectory: tls }
                directory:
                  urls: [%s]
                  baseDn: dc=example,dc=test
                  bindDn: %s
                  bindPassword: ${env:POSTERN_LDAP_PASSWORD}
                domains: [example.test]
                queue:
                  directory: queue
                  retrySchedule: [1s]
                  destinationFailureThreshold: 1000
                spool: { root: spool }
                outbound:
                  port: %d
                  dnsServers: ["127.0.0.1:%d"]
                  dnsTimeout: 2s
                  timeouts: { connect: 2s, greeting: 5s, helo: 5s, mail: 5s, rcpt: 5s, dataInit: 5s, dataBlock: 5s, dataDone: 5s }
                """.formatted(mx, submission, admin, queueApi, slapd.url(), slapd.bindDn(), mxPort, dns.port()));
        List<String> command = new ArrayList<>(PosternProcess.command(home, "serve", "--config", config.toString()));
        ProcessBuilder builder = new ProcessBuilder(command).directory(home.toFile()).redirectErrorStream(true)
                .redirectOutput(home.resolve("node.log").toFile());
        builder.environment().put("POSTERN_LDAP_PASSWORD", slapd.password());
        node = ExternalProcess.adopt("node", builder.start(), home.resolve("node.log"));
        node.awaitLog(Duration.ofSeconds(60), "event=started");
    }

    @AfterAll
    static void stop() throws Exception {
        for (AutoCloseable c : new AutoCloseable[] {node, backup, fallback, greylisting, repaired, rejecting, stubborn,
                postfix,
                dns, slapd}) {
            if (c != null) {
                c.close();
            }
        }
    }

    /** alice submits over STARTTLS with AUTH PLAIN; returns swaks' transcript. */
    private static String submit(String to, String subject, String... extra) throws Exception {
        List<String> command = new ArrayList<>(List.of("swaks", "--server", "127.0.0.1:" + submission, "--tls",
                "--timeout", "20", "--helo", "client.example.org", "--auth", "PLAIN",
                "--auth-user", "alice@example.test", "--auth-password", "alice-pw",
                "--from", "alice@example.test", "--to", to, "--header", "Subject: " + subject));
        command.addAll(List.of(extra));
        String out = ExternalProcess.run(dir, Duration.ofSeconds(40), command).output();
        assertThat(out).as("swaks to " + to).contains("<~  250 2.0.0");
        return out;
    }

    private static List<Path> maildir(String user) throws IOException {
        Path folder = spool.resolve("example.test").resolve(user).resolve("new");
        if (!Files.isDirectory(folder)) {
            return List.of();
        }
        try (Stream<Path> files = Files.list(folder)) {
            return files.sorted().toList();
        }
    }

    /** The node's {@code event=delivery} lines for one recipient. */
    private static List<String> deliveryLines(String recipient) throws IOException {
        return node.logText().lines().filter(l -> l.contains("event=delivery")
                && l.contains("to=" + io.postern.observability.LogLine.quote("<" + recipient + ">")))
                .toList();
    }

    private static String awaitDeliveryLine(String recipient, String status) throws Exception {
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (System.nanoTime() < deadline) {
            Optional<String> line = deliveryLines(recipient).stream().filter(l -> l.contains("status=" + status))
                    .findFirst();
            if (line.isPresent()) {
                return line.get();
            }
            Thread.sleep(50);
        }
        throw new AssertionError("no event=delivery status=" + status + " for " + recipient + "; node log:\n"
                + node.logText());
    }

    /** Waits for the bounce in alice's Maildir that reports {@code recipient}; returns its file. */
    private static Path awaitBounce(String recipient) throws Exception {
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (System.nanoTime() < deadline) {
            for (Path file : maildir("alice")) {
                String text = Files.readString(file, StandardCharsets.ISO_8859_1);
                if (text.contains("multipart/report") && text.contains("; " + recipient + "\r\n")) {
                    return file;
                }
            }
            Thread.sleep(50);
        }
        throw new AssertionError("no bounce for " + recipient + " in alice's Maildir; node log:\n" + node.logText());
    }

    /**
     * Parses a bounce with Python's email module: content type, report type, and for each
     * per-recipient field group its Final-Recipient, Action and Status, one per line.
     */
    private static String parseBounce(Path file) throws Exception {
        String script = """
                import email, sys
                from email import policy
                with open(sys.argv[1], 'rb') as f:
                    m = email.message_from_binary_file(f, policy=policy.compat32)
                print('TYPE', m.get_content_type(), m.get_param('report-type'))
                print('FROM', m.get('Return-Path'), m.get('From'))
                print('PARTS', ' '.join(p.get_content_type() for p in m.get_payload()))
                for part in m.walk():
                    if part.get_content_type() == 'text/rfc822-headers':
                        print('RETURNED', part.get_payload(decode=True).decode('utf-8', 'replace').replace('\\r', '').replace('\\n', '|'))
                for part in m.walk():
                    if part.get_content_type() == 'message/delivery-status':
                        groups = part.get_payload()
                        for g in groups[1:]:
                            print('RCPT', g.get('Final-Recipient'), '|', g.get('Action'), '|', g.get('Status'), '|',
                                  g.get('Diagnostic-Code'))
                """;
        ExternalProcess.Result result = ExternalProcess.run(dir, Duration.ofSeconds(20),
                List.of("python3", "-c", script, file.toString()));
        assertThat(result.exitCode()).as(result.output()).isZero();
        return result.output();
    }

    /** {@code postern queue list} as an operator runs it, through the node's queue API. */
    private static String queueList() throws Exception {
        ExternalProcess.Result result = ExternalProcess.run(dir, Duration.ofSeconds(30),
                PosternProcess.command(home, "queue", "list", "--admin", "127.0.0.1:" + queueApi));
        assertThat(result.exitCode()).as(result.output()).isZero();
        return result.output();
    }

    /** The same listing straight from the queue API (no JVM start: the machine is shared). */
    private static String queueListOverHttp() throws Exception {
        HttpResponse<String> response = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                URI.create("http://127.0.0.1:" + queueApi + "/queue/list")).timeout(Duration.ofSeconds(10)).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        return response.body();
    }

    @Test
    @Order(1)
    void remoteMailGoesToTheLowestPreferenceMx() throws Exception {
        submit("carol@prio.test", "to the primary");
        postfix.awaitLogLine(WAIT, "to=<carol@prio.test>", "status=sent");
        String line = awaitDeliveryLine("carol@prio.test", "sent");
        assertThat(line).contains("from=<alice@example.test>", "relay=mx1.prio.test[127.0.0.1]:" + mxPort);
        assertThat(postfix.log()).contains("TLS connection established");
        assertThat(backup.messages()).noneMatch(m -> m.contains("to the primary"));
    }

    @Test
    @Order(2)
    void whenTheFirstMxIsDownTheSecondGetsTheMail() throws Exception {
        submit("dave@down.test", "first mx down");
        String received = fallback.awaitMessage(WAIT, "first mx down", "dave@down.test");
        assertThat(received).contains("alice@example.test");
        assertThat(awaitDeliveryLine("dave@down.test", "sent")).contains("relay=mx2.down.test[127.0.0.2]:" + mxPort);
        assertThat(backup.messages()).noneMatch(m -> m.contains("first mx down"));
    }

    @Test
    @Order(3)
    void aTemporaryFailureIsDeferredThenDeliveredOnceOnRetry() throws Exception {
        submit("erin@temp.test", "greylisted once");
        assertThat(awaitDeliveryLine("erin@temp.test", "deferred")).contains("4.7.1");
        // Retried every second: the listing may catch it in the middle of an attempt.
        assertThat(queueList()).containsPattern(
                "(deferred|active) +<alice@example.test> 1/1 pending \\(451 4\\.7\\.1 Greylisted");

        greylisting.stop();
        repaired = SmtpSink.start(dir, "repaired", "127.0.0.5", mxPort);
        repaired.awaitMessage(WAIT, "greylisted once", "erin@temp.test");
        awaitDeliveryLine("erin@temp.test", "sent");
        // Once it has left the queue a delivered message cannot be sent again: wait for that.
        Await.untilNoException("the delivered message gone from the queue",
                () -> queueListOverHttp().contains("-- 0 messages"));
        assertThat(repaired.messages()).filteredOn(m -> m.contains("greylisted once")).hasSize(1);
        assertThat(deliveryLines("erin@temp.test")).filteredOn(l -> l.contains("status=sent")).hasSize(1);
        assertThat(queueListOverHttp()).contains("-- 0 messages");
    }

    @Test
    @Order(4)
    void aPermanentFailureBouncesToTheSender() throws Exception {
        submit("frank@perm.test", "rejected for good");
        assertThat(awaitDeliveryLine("frank@perm.test", "bounced")).contains("5.1.1");
        String report = parseBounce(awaitBounce("frank@perm.test"));
        assertThat(report).contains("TYPE multipart/report delivery-status")
                .containsPattern("RCPT rfc822; ?frank@perm.test \\| failed \\| 5\\.1\\.1 "
                        + "\\| smtp; .*550 5\\.1\\.1 No such user here");
        assertThat(report).contains("FROM <> ", "MAILER-DAEMON@mx.example.test")
                .contains("PARTS text/plain message/delivery-status text/rfc822-headers")
                .containsPattern("RETURNED .*Subject: rejected for good");
        assertThat(rejecting.messages()).isEmpty();
    }

    @Test
    @Order(5)
    void aNullMxDomainBouncesWith5110() throws Exception {
        submit("grace@nullmx.test", "nobody home");
        assertThat(awaitDeliveryLine("grace@nullmx.test", "bounced")).contains("5.1.10");
        String report = parseBounce(awaitBounce("grace@nullmx.test"));
        assertThat(report).contains("TYPE multipart/report delivery-status")
                .containsPattern("RCPT rfc822; ?grace@nullmx.test \\| failed \\| 5\\.1\\.10 ");
    }

    @Test
    @Order(6)
    void overQuotaIsRefusedAtSmtpTimeAndKeepsTheMailboxAsItWas() throws Exception {
        submit("bob@example.test", "fits in the quota");
        Await.untilNoException("the message in bob's Maildir", () -> !maildir("bob").isEmpty());
        assertThat(maildir("bob")).hasSize(1);
        // Known before 250 (the quota and the spool are this node's): refused now, never bounced later.
        String out = ExternalProcess.run(dir, Duration.ofSeconds(40), List.of("swaks", "--server",
                "127.0.0.1:" + submission, "--tls", "--timeout", "20", "--helo", "client.example.org",
                "--auth", "PLAIN", "--auth-user", "alice@example.test", "--auth-password", "alice-pw",
                "--from", "alice@example.test", "--to", "bob@example.test",
                "--header", "Subject: too big for the quota",
                "--body", "x".repeat(76).concat("\n").repeat(40))).output();
        assertThat(out).as("swaks to bob@example.test").contains("<~* 552 5.2.2").doesNotContain("<~  250 2.0.0 Ok: queued");
        assertThat(maildir("bob")).hasSize(1);
        assertThat(Files.readString(maildir("bob").getFirst())).contains("fits in the quota");
    }

    @Test
    @Order(7)
    void aHostileSpoolOverrideFailsForGoodAndWritesNothingOutsideTheSpool() throws Exception {
        submit("mallory@example.test", "escape attempt");
        assertThat(awaitDeliveryLine("mallory@example.test", "bounced")).contains("dsn=5.");
        String report = parseBounce(awaitBounce("mallory@example.test"));
        assertThat(report).containsPattern("RCPT rfc822; ?mallory@example.test \\| failed \\| 5\\.");
        assertThat(node.logText()).contains("event=unsafe-spool-path");
        // ../../etc from the spool root would be dir/etc.
        assertThat(dir.resolve("etc")).doesNotExist();
        assertNothingWrittenOutsideTheSpool();
    }

    /** Nothing in the node's folder outside spool/, queue/ and tls/ but its config and log. */
    private static void assertNothingWrittenOutsideTheSpool() throws IOException {
        try (Stream<Path> files = Files.walk(home)) {
            List<Path> outside = files.map(home::relativize)
                    .filter(p -> !(p.toString().isEmpty() || p.startsWith("spool") || p.startsWith("queue")
                            || p.startsWith("tls") || p.toString().equals("postern.yaml")
                            || p.toString().equals("node.log")))
                    .toList();
            assertThat(outside).isEmpty();
        }
        try (Stream<Path> files = Files.walk(dir, 3)) {
            assertThat(files.map(p -> p.getFileName().toString())).doesNotContain("mallory", "trudy");
        }
    }

    @Test
    @Order(8)
    void aHostileLocalPartFailsForGoodAndWritesNothingOutsideTheSpool() throws Exception {
        // trudy's directory entry is "../../trudy"@example.test: with the layout {domain}/{localpart}
        // her spool would be spool/example.test/../../trudy, that is the node's own folder.
        submit("\"../../trudy\"@example.test", "hostile local part");
        assertThat(awaitDeliveryLine("\"../../trudy\"@example.test", "bounced")).contains("dsn=5.3.0");
        String report = parseBounce(awaitBounce("\"../../trudy\"@example.test"));
        assertThat(report)
                .containsPattern("RCPT rfc822; ?\"\\.\\./\\.\\./trudy\"@example.test \\| failed \\| 5\\.3\\.0 ");
        assertThat(home.resolve("trudy")).doesNotExist();
        assertThat(dir.resolve("trudy")).doesNotExist();
        assertNothingWrittenOutsideTheSpool();
        assertThat(node.logText()).doesNotContain("alice-pw");
    }

    @Test
    @Order(9)
    void eachRecipientOfOneMessageKeepsItsOwnFate() throws Exception {
        submit("henry@prio.test,ivan@perm.test,judy@grey.test", "three fates");
        postfix.awaitLogLine(WAIT, "to=<henry@prio.test>", "status=sent");
        String report = parseBounce(awaitBounce("ivan@perm.test"));
        assertThat(report.lines().filter(l -> l.startsWith("RCPT ")))
                .singleElement().asString().containsPattern("RCPT rfc822; ?ivan@perm.test \\| failed \\| 5\\.1\\.1 ");
        awaitDeliveryLine("judy@grey.test", "deferred");
        // A few retries of judy (each retry comes after henry's delivery and ivan's bounce were
        // recorded): henry must not get the message again, ivan no second bounce.
        Await.untilNoException("judy retried twice", () -> deliveryLines("judy@grey.test").stream()
                .filter(l -> l.contains("status=deferred")).count() >= 3);
        assertThat(postfix.log().lines().filter(l -> l.contains("to=<henry@prio.test>") && l.contains("status=sent")))
                .hasSize(1);
        assertThat(deliveryLines("henry@prio.test")).hasSize(1);
        assertThat(deliveryLines("ivan@perm.test")).hasSize(1);
        assertThat(queueListOverHttp())
                .containsPattern("(deferred|active) +<alice@example.test> 1/3 pending \\(.*4\\.2\\.2");
    }

    // The tests below read what the tests above left in the log and in alice's Maildir. They show
    // bugs in io.postern.routing.RoutingDeliveryAgent (another helper's package) and stay disabled
    // until it is fixed.

    @Test
    @Order(20)
    void aDeferralNamesTheMxThatAnswered() throws Exception {
        // Only deferrals where the MX answered (greylisting): a retry that fell between the test's
        // stopping the greylisting MX and starting its replacement found nothing listening.
        assertThat(deliveryLines("erin@temp.test")).filteredOn(l -> l.contains("status=deferred")
                        && l.contains("diag=\"451 ")).isNotEmpty()
                .allMatch(l -> l.contains("relay=mx.temp.test[127.0.0.5]:" + mxPort), "names the MX");
    }

    @Test
    @Order(21)
    void remoteRepliesReachTheLogAndTheBounceVerbatim() throws Exception {
        assertThat(awaitDeliveryLine("dave@down.test", "sent")).contains("diag=\"250 ");
        assertThat(parseBounce(awaitBounce("frank@perm.test")))
                .containsPattern("\\| smtp; ?550 5\\.1\\.1 No such user here");
    }

    @Test
    @Order(22)
    void aQuotedLocalPartCannotForgeLogFields() throws Exception {
        assertThat(node.logText().lines().filter(l -> l.contains("event=routed") && l.contains("trudy")))
                .isNotEmpty().allMatch(l -> l.contains("rcpt=\"\\\"../../trudy\\\"@example.test\""));
    }
}
