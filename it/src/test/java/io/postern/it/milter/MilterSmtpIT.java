package io.postern.it.milter;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.postern.config.ConfigLoader;
import io.postern.config.MilterAddress;
import io.postern.config.MilterConfig;
import io.postern.config.PosternConfig;
import io.postern.config.SecretResolver;
import io.postern.it.servers.ClamavMilter;
import io.postern.it.servers.OpenDkim;
import io.postern.it.servers.Rspamd;
import io.postern.it.support.ExternalProcess;
import io.postern.it.support.Ports;
import io.postern.mail.MessageContent;
import io.postern.milter.FakeMilter;
import io.postern.milter.MessageRewriter;
import io.postern.milter.MilterChain;
import io.postern.milter.MilterContext;
import io.postern.milter.MilterVerdict;
import io.postern.server.PosternServer;
import io.postern.smtp.SmtpTestClient;
import io.postern.testing.MapDirectory;
import io.postern.testing.TestContent;
import java.io.ByteArrayOutputStream;
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
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Milters asked by a real node (issue 17, "Done when"): a Postern node in process with its real
 * queue and local delivery into Maildirs, Python's smtplib as the client, and the real filters
 * of {@link RealMiltersIT} (rspamd, clamav-milter, OpenDKIM; started once for the class, side by
 * side), plus a scripted milter for the edits no real filter makes on demand (add a recipient,
 * replace the body, quarantine) and a milter that is down.
 */
class MilterSmtpIT {
    private static final String GTUBE = "XJS*C4JDBQADN1.NSBN3*2IDNEN*GTUBE-STANDARD-ANTI-UBE-TEST-EMAIL*C.34X";
    private static final Duration WAIT = Duration.ofSeconds(30);

    private static Path dir;
    private static Rspamd rspamd;
    private static ClamavMilter clamav;
    private static OpenDkim opendkim;
    private static FakeMilter scripted;
    private static PosternServer node;
    private static int mx;
    private static int submission;
    private static int edited;
    private static int down;
    private static int queueApi;
    private static int benchPlain;
    private static int benchClamav;
    /** The body the scripted milter saw last: it decides on it at end of message. */
    private static final AtomicReference<String> lastBody = new AtomicReference<>("");

    @BeforeAll
    static void start() throws Exception {
        dir = Files.createTempDirectory("postern-milter-smtp-");
        try (ExecutorService starter = Executors.newVirtualThreadPerTaskExecutor()) {
            Future<Rspamd> r = starter.submit(() -> Rspamd.start(dir.resolve("rspamd"), Ports.free()));
            Future<ClamavMilter> c = starter.submit(() -> ClamavMilter.start(dir.resolve("clamav"), Ports.free()));
            Future<OpenDkim> o = starter.submit(() -> OpenDkim.start(dir.resolve("opendkim"), Ports.free()));
            rspamd = r.get();
            clamav = c.get();
            opendkim = o.get();
        }
        scripted = new FakeMilter(MilterSmtpIT::script);
        mx = Ports.free();
        submission = Ports.free();
        edited = Ports.free();
        down = Ports.free();
        queueApi = Ports.free();
        benchPlain = Ports.free();
        benchClamav = Ports.free();
        int nothing = Ports.free();
        String yaml = """
                node: { hostname: mx.example.test }
                listeners:
                  - { name: mx, kind: mx, address: 127.0.0.1, port: %d, tls: none, milters: [clamav, rspamd] }
                  - { name: submission, kind: submission, address: 127.0.0.1, port: %d, tls: none, milters: [opendkim] }
                  - { name: edited, kind: mx, address: 127.0.0.1, port: %d, tls: none, milters: [scripted] }
                  - { name: down, kind: mx, address: 127.0.0.1, port: %d, tls: none, milters: [down] }
                  - { name: bench-plain, kind: mx, address: 127.0.0.1, port: %d, tls: none }
                  - { name: bench-clamav, kind: mx, address: 127.0.0.1, port: %d, tls: none, milters: [clamav] }
                admin: { port: %d, queueApi: { port: %d } }
                auth: { allowPlaintextOnLoopback: true }
                milters:
                  - { name: clamav, address: 'inet:127.0.0.1:%d', endOfMessageTimeout: 60s }
                  - { name: rspamd, address: 'inet:127.0.0.1:%d', endOfMessageTimeout: 60s }
                  - { name: opendkim, address: 'inet:127.0.0.1:%d' }
                  - { name: scripted, address: 'inet:127.0.0.1:%d' }
                  - { name: down, address: 'inet:127.0.0.1:%d', connectTimeout: 2s }
                directory: { urls: ['ldap://127.0.0.1:1'], baseDn: 'dc=example,dc=test' }
                domains: [example.test]
                queue: { directory: queue }
                spool: { root: spool }
                """.formatted(mx, submission, edited, down, benchPlain, benchClamav, Ports.free(), queueApi, clamav.port(), rspamd.port(),
                opendkim.port(), scripted.port(), nothing);
        PosternConfig config = new ConfigLoader(new SecretResolver(Map.of())).parse(yaml, dir, "it.yaml");
        node = PosternServer.start(config, new PosternServer.Parts(Optional.of(new MapDirectory("example.test")
                .withoutSubaddressing()
                .add("alice@example.test", "alice-pw", false, Optional.empty(), "alice")
                .add("bob@example.test", "bob-pw", false, Optional.empty(), "bob")
                .add("carol@example.test", "carol-pw", false, Optional.empty(), "carol")), Optional.empty()));
    }

    @AfterAll
    static void stop() throws Exception {
        for (AutoCloseable c : new AutoCloseable[] {node, scripted, rspamd, clamav, opendkim}) {
            try {
                if (c != null) {
                    c.close();
                }
            } catch (Exception e) {
                // best effort: the fixtures also stop with the JVM
            }
        }
    }

    /** Quarantines a body with "QUARANTINE"; adds carol and replaces the body of one with "EDIT"; else accepts. */
    private static List<byte[]> script(byte command, byte[] data) throws IOException {
        if (command == 'B') {
            lastBody.set(new String(data, StandardCharsets.ISO_8859_1));
        }
        if (command != 'E') {
            return FakeMilter.polite(List.of()).answer(command, data);
        }
        String body = lastBody.get();
        if (body.contains("QUARANTINE")) {
            return List.of(FakeMilter.reply('q', "held by the test milter"), FakeMilter.reply('a'));
        }
        if (body.contains("EDIT")) {
            return List.of(FakeMilter.reply('+', "<carol@example.test>"),
                    FakeMilter.reply('b', "The milter wrote this body.\r\n".getBytes(StandardCharsets.US_ASCII)),
                    FakeMilter.reply('h', "X-Edited", "by the test milter"), FakeMilter.reply('a'));
        }
        return List.of(FakeMilter.reply('a'));
    }

    // ---- the client: Python's smtplib -------------------------------------------------------

    private static final String SEND = """
            import smtplib, sys
            port, sender, rcpts, path = int(sys.argv[1]), sys.argv[2], sys.argv[3].split(','), sys.argv[4]
            s = smtplib.SMTP('127.0.0.1', port, timeout=90)
            s.ehlo('client.example.org')
            if len(sys.argv) > 5:
                s.login(sys.argv[5], sys.argv[6])
            s.mail(sender)
            for r in rcpts:
                s.rcpt(r)
            code, text = s.data(open(path, 'rb').read())
            print('REPLY %d %s' % (code, text.decode()))
            s.quit()
            """;

    /** Sends {@code message} and returns the reply to its end of data, as {@code 250 2.0.0 ...}. */
    private static String send(int port, String sender, String recipients, String message, String... login)
            throws Exception {
        Path file = Files.createTempFile(dir, "msg", ".eml");
        Files.writeString(file, message, StandardCharsets.UTF_8);
        List<String> command = new ArrayList<>(List.of("python3", "-c", SEND, Integer.toString(port), sender,
                recipients, file.toString()));
        command.addAll(List.of(login));
        ExternalProcess.Result result = ExternalProcess.run(dir, Duration.ofSeconds(120), command);
        assertThat(result.output()).as("smtplib: %s", result.output()).contains("REPLY ");
        return result.output().substring(result.output().indexOf("REPLY ") + 6).strip();
    }

    private static String message(String id, String from, String to, String subject, String body) {
        return "From: " + from + "\r\nTo: " + to + "\r\nDate: Thu, 03 Dec 2026 17:00:00 +0000\r\n"
                + "Message-ID: <" + id + "@example.test>\r\nSubject: " + subject + "\r\n\r\n" + body;
    }

    private static List<Path> maildir(String user) throws IOException {
        Path folder = dir.resolve("spool").resolve("example.test").resolve(user).resolve("new");
        if (!Files.isDirectory(folder)) {
            return List.of();
        }
        try (Stream<Path> files = Files.list(folder)) {
            return files.sorted().toList();
        }
    }

    /** The one message in {@code user}'s Maildir whose text contains {@code marker}, once delivered. */
    private static String delivered(String user, String marker) throws Exception {
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (System.nanoTime() < deadline) {
            for (Path p : maildir(user)) {
                String text = Files.readString(p, StandardCharsets.UTF_8);
                if (text.contains(marker)) {
                    return text;
                }
            }
            Thread.sleep(50);
        }
        throw new AssertionError("no message with " + marker + " in " + user + "'s Maildir: " + maildir(user));
    }

    /** Every delivered message, in every Maildir. */
    private static List<String> allDelivered() throws IOException {
        List<String> texts = new ArrayList<>();
        Path spool = dir.resolve("spool");
        if (!Files.isDirectory(spool)) {
            return texts;
        }
        try (Stream<Path> files = Files.walk(spool)) {
            for (Path p : files.filter(Files::isRegularFile).toList()) {
                texts.add(Files.readString(p, StandardCharsets.ISO_8859_1));
            }
        }
        return texts;
    }

    private static String queueList() throws Exception {
        HttpResponse<String> response = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                URI.create("http://127.0.0.1:" + queueApi + "/queue/list")).timeout(Duration.ofSeconds(10)).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        return response.body();
    }

    // ---- the tests --------------------------------------------------------------------------

    @Test
    void rspamdRefusesGtubeAtSmtpTimeAndNothingIsDelivered() throws Exception {
        String reply = send(mx, "spammer@remote.example.org", "bob@example.test",
                message("gtube1", "spammer@remote.example.org", "bob@example.test", "offer",
                        "Buy now\r\n" + GTUBE + "\r\n"));
        assertThat(reply).startsWith("554 5.7.1").containsIgnoringCase("gtube");
        // The clean message sent after it is delivered; the spam never is.
        assertThat(send(mx, "friend@remote.example.org", "bob@example.test", message("clean1",
                "friend@remote.example.org", "bob@example.test", "lunch", "Lunch on Friday?\r\n"))).startsWith("250 ");
        delivered("bob", "clean1@example.test");
        assertThat(allDelivered()).noneMatch(t -> t.contains("GTUBE"));
    }

    @Test
    void clamavRefusesEicarAndDeliversACleanMessage() throws Exception {
        String attachment = Base64.getMimeEncoder().encodeToString(ClamavMilter.EICAR.getBytes(StandardCharsets.US_ASCII));
        String infected = message("eicar1", "sender@remote.example.org", "alice@example.test", "report",
                "See attached.\r\n").replace("\r\n\r\nSee attached.\r\n", "\r\nMIME-Version: 1.0\r\n"
                + "Content-Type: multipart/mixed; boundary=\"b1\"\r\n\r\n"
                + "--b1\r\nContent-Type: text/plain\r\n\r\nSee attached.\r\n"
                + "--b1\r\nContent-Type: application/octet-stream\r\nContent-Disposition: attachment; filename=\"eicar.com\"\r\n"
                + "Content-Transfer-Encoding: base64\r\n\r\n" + attachment + "\r\n--b1--\r\n");
        assertThat(send(mx, "sender@remote.example.org", "alice@example.test", infected)).startsWith("554 5.7.1");
        assertThat(send(mx, "sender@remote.example.org", "alice@example.test", message("clean2",
                "sender@remote.example.org", "alice@example.test", "report", "Nothing attached.\r\n")))
                .startsWith("250 ");
        delivered("alice", "clean2@example.test");
        assertThat(allDelivered()).noneMatch(t -> t.contains("eicar1@example.test"));
    }

    @Test
    void openDkimSignsOnSubmissionAndTheDeliveredSignatureVerifies() throws Exception {
        assertThat(send(submission, "alice@example.test", "bob@example.test", message("dkim1", "alice@example.test",
                "bob@example.test", "signed", "Hello Bob,\r\nsee you.\r\n"), "alice", "alice-pw")).startsWith("250 ");
        String text = delivered("bob", "dkim1@example.test");
        assertThat(text).containsPattern("DKIM-Signature: v=1; a=rsa-sha256; c=relaxed/relaxed; d=example.test;\\s+s=test;");
        // Verified as RealMiltersIT does: the same OpenDKIM, as a verifier, reads the delivered message.
        MilterConfig verifier = MilterConfig.of("verifier", new MilterAddress.Inet("127.0.0.1", opendkim.port()));
        try (MilterChain chain = MilterChain.of(List.of(verifier), new SimpleMeterRegistry())) {
            MessageContent content = content(text);
            MilterVerdict verdict = chain.check(MilterContext.of("mx", "verifier.example.test", "192.0.2.10",
                    "client.example.net", "V1", "alice@example.test", List.of("bob@example.test")), content);
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            MessageRewriter.write(content, verdict.modifications(), out);
            assertThat(out.toString(StandardCharsets.UTF_8)).containsPattern("Authentication-Results: "
                    + OpenDkim.AUTHSERV_ID + ";[\\s\\S]*dkim=pass");
        }
    }

    @Test
    void aMilterThatAddsARecipientAndReplacesTheBodyIsObeyed() throws Exception {
        assertThat(send(edited, "sender@remote.example.org", "alice@example.test", message("edit1",
                "sender@remote.example.org", "alice@example.test", "edit me", "EDIT the original body\r\n")))
                .startsWith("250 ");
        for (String user : List.of("alice", "carol")) {
            String text = delivered(user, "edit1@example.test");
            // The added recipient is in the envelope: delivery wrote its own Delivered-To.
            assertThat(text).contains("Delivered-To: " + user + "@example.test\r\n")
                    .contains("X-Edited: by the test milter\r\n").endsWith("\r\n\r\nThe milter wrote this body.\r\n")
                    .doesNotContain("original body");
        }
    }

    @Test
    void aQuarantinedMessageIsHeldInTheQueueAndNotDelivered() throws Exception {
        assertThat(send(edited, "sender@remote.example.org", "bob@example.test", message("held1",
                "sender@remote.example.org", "bob@example.test", "suspicious", "QUARANTINE me\r\n")))
                .startsWith("250 ");
        long deadline = System.nanoTime() + WAIT.toNanos();
        String list = queueList();
        while (!list.contains("hold") && System.nanoTime() < deadline) {
            Thread.sleep(50);
            list = queueList();
        }
        assertThat(list).contains("hold").contains("sender@remote.example.org");
        assertThat(allDelivered()).noneMatch(t -> t.contains("held1@example.test"));
    }

    @Test
    void aMilterThatIsDownGivesItsDefaultActionWithinTheTimeout() throws Exception {
        long start = System.nanoTime();
        assertThat(send(down, "sender@remote.example.org", "bob@example.test", message("down1",
                "sender@remote.example.org", "bob@example.test", "down", "Anyone there?\r\n")))
                .isEqualTo("451 4.7.1 Content filter unavailable, try again later");
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(60));
        assertThat(allDelivered()).noneMatch(t -> t.contains("down1@example.test"));
    }

    /**
     * The throughput cost of one milter on the accept path (docs/benchmarks.md): the same load
     * through a listener without milters and one with clamav-milter, alternated twice in one run.
     * Bounded (4 sessions x 40 messages each time); prints its figures, asserts only that every
     * message was accepted.
     */
    @Test
    void acceptPathThroughputWithAndWithoutOneMilter() throws Exception {
        int sessions = 4;
        int perSession = 40;
        for (int round = 1; round <= 2; round++) {
            for (int port : List.of(benchPlain, benchClamav)) {
                long start = System.nanoTime();
                try (ExecutorService load = Executors.newVirtualThreadPerTaskExecutor()) {
                    List<Future<Integer>> done = new ArrayList<>();
                    for (int i = 0; i < sessions; i++) {
                        done.add(load.submit(() -> session(port, perSession)));
                    }
                    for (Future<Integer> f : done) {
                        assertThat(f.get()).isEqualTo(perSession);
                    }
                }
                double seconds = (System.nanoTime() - start) / 1e9;
                System.out.printf("milter bench round %d %s: %d messages in %.2f s = %.0f msg/s%n", round,
                        port == benchPlain ? "no milter" : "clamav-milter", sessions * perSession, seconds,
                        sessions * perSession / seconds);
            }
        }
    }

    /** One SMTP session sending {@code count} 2 KiB messages; returns how many got 250. */
    private static int session(int port, int count) throws IOException {
        String body = "Nothing attached, just text for the scanner to read.\r\n".repeat(38);
        int accepted = 0;
        try (SmtpTestClient client = new SmtpTestClient(port)) {
            client.reply();
            client.send("EHLO load.example.org");
            client.reply();
            for (int i = 0; i < count; i++) {
                client.send("MAIL FROM:<load@remote.example.org>");
                client.reply();
                client.send("RCPT TO:<bob@example.test>");
                client.reply();
                client.send("DATA");
                client.reply();
                client.send(message("bench" + i, "load@remote.example.org", "bob@example.test", "load", body) + ".");
                if (client.reply().startsWith("250 ")) {
                    accepted++;
                }
            }
            client.send("QUIT");
        }
        return accepted;
    }

    private static MessageContent content(String text) {
        return TestContent.of(text);
    }
}
