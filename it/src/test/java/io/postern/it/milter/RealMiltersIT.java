package io.postern.it.milter;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.postern.config.MilterConfig;
import io.postern.it.servers.ClamavMilter;
import io.postern.it.servers.OpenDkim;
import io.postern.it.servers.Rspamd;
import io.postern.it.support.Ports;
import io.postern.mail.EnhancedStatus;
import io.postern.mail.MessageContent;
import io.postern.milter.MessageRewriter;
import io.postern.milter.MilterChain;
import io.postern.milter.MilterContext;
import io.postern.milter.MilterVerdict;
import io.postern.milter.Modification;
import io.postern.testing.TestContent;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The milter client against real filters from Debian packages, started on loopback by this
 * class: rspamd's proxy worker in milter mode, clamd + clamav-milter with a test-written
 * signature database, OpenDKIM signing with a fresh test key and verifying against it. Each is
 * asked through {@link MilterChain}, as the SMTP session will ask it.
 */
class RealMiltersIT {
    private static final String HEADERS = "From: alice@example.test\r\nTo: bob@example.test\r\n"
            + "Date: Thu, 03 Dec 2026 16:00:00 +0000\r\nMessage-ID: <%s@example.test>\r\nSubject: %s\r\n";
    private static final String GTUBE_REJECT = "XJS*C4JDBQADN1.NSBN3*2IDNEN*GTUBE-STANDARD-ANTI-UBE-TEST-EMAIL*C.34X";
    private static final String GTUBE_ADD_HEADER = "YJS*C4JDBQADN1.NSBN3*2IDNEN*GTUBE-STANDARD-ANTI-UBE-TEST-EMAIL*C.34X";

    private static Path dir;
    private static Rspamd rspamd;
    private static ClamavMilter clamav;
    private static OpenDkim opendkim;
    private static final SimpleMeterRegistry REGISTRY = new SimpleMeterRegistry();
    private static MilterChain spamChain;
    private static MilterChain virusChain;
    private static MilterChain dkimChain;

    @BeforeAll
    static void startFilters() throws Exception {
        dir = Files.createTempDirectory("postern-milters-");
        // The three start side by side: the class waits for the slowest, not for the sum.
        try (ExecutorService starter = Executors.newVirtualThreadPerTaskExecutor()) {
            Future<Rspamd> r = starter.submit(timed("rspamd", () -> Rspamd.start(dir.resolve("rspamd"), Ports.free())));
            Future<ClamavMilter> c = starter.submit(timed("clamav", () -> ClamavMilter.start(dir.resolve("clamav"), Ports.free())));
            Future<OpenDkim> o = starter.submit(timed("opendkim", () -> OpenDkim.start(dir.resolve("opendkim"), Ports.free())));
            rspamd = r.get();
            clamav = c.get();
            opendkim = o.get();
        }
        spamChain = MilterChain.of(List.of(config("rspamd", rspamd.port())), REGISTRY);
        virusChain = MilterChain.of(List.of(config("clamav", clamav.port())), REGISTRY);
        dkimChain = MilterChain.of(List.of(config("opendkim", opendkim.port())), REGISTRY);
    }

    private static <T> Callable<T> timed(String name, Callable<T> start) {
        return () -> {
            long begin = System.nanoTime();
            T started = start.call();
            System.out.printf("milter fixture %s ready in %d ms%n", name, (System.nanoTime() - begin) / 1_000_000);
            return started;
        };
    }

    @AfterAll
    static void stopFilters() throws InterruptedException {
        for (AutoCloseable c : new AutoCloseable[] {spamChain, virusChain, dkimChain, rspamd, clamav, opendkim}) {
            try {
                if (c != null) {
                    c.close();
                }
            } catch (Exception e) {
                // Best effort: the fixtures also stop by themselves.
            }
        }
    }

    private static MilterConfig config(String name, int port) {
        return new MilterConfig(name, new io.postern.config.MilterAddress.Inet("127.0.0.1", port), Duration.ofSeconds(5),
                Duration.ofSeconds(20), Duration.ofSeconds(30), io.postern.config.MilterDefaultAction.TEMPFAIL, 5,
                Duration.ofSeconds(30), 4, Map.of());
    }

    private static MilterContext context(String queueId) {
        return MilterContext.of("mx", "mx.example.test", "192.0.2.10", "client.example.net", queueId,
                "alice@example.test", List.of("bob@example.test"));
    }

    private static MessageContent message(String text) {
        return TestContent.of(text);
    }

    private static String plain(String id, String subject, String body) {
        return HEADERS.formatted(id, subject) + "\r\n" + body;
    }

    private static String rewritten(String original, MilterVerdict verdict) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        MessageRewriter.write(message(original), verdict.modifications(), out);
        return out.toString(StandardCharsets.UTF_8);
    }

    @Test
    void rspamdRejectsGtubeWithItsOwnReply() {
        MilterVerdict verdict = spamChain.check(context("RS1"), message(plain("rs1", "offer", "Buy now\r\n" + GTUBE_REJECT + "\r\n")));
        assertThat(verdict).isInstanceOfSatisfying(MilterVerdict.Reject.class, reject -> {
            assertThat(reject.milter()).isEqualTo("rspamd");
            assertThat(reject.reply().code()).isEqualTo(554);
            assertThat(reject.reply().status()).isEqualTo(EnhancedStatus.of("5.7.1"));
            // rspamd gives the reason as its own text ("Gtube pattern"), not the catalogue's.
            assertThat(reject.reply().text()).containsIgnoringCase("gtube");
        });
    }

    @Test
    void rspamdTagsInAddHeaderModeAndPassesCleanMail() throws IOException {
        String spam = plain("rs2", "offer", "Buy now\r\n" + GTUBE_ADD_HEADER + "\r\n");
        MilterVerdict tagged = spamChain.check(context("RS2"), message(spam));
        assertThat(tagged).isInstanceOf(MilterVerdict.Accept.class);
        assertThat(rewritten(spam, tagged)).containsIgnoringCase("\r\nX-Spam: Yes\r\n");

        String clean = plain("rs3", "lunch", "Shall we have lunch on Friday?\r\n");
        MilterVerdict passed = spamChain.check(context("RS3"), message(clean));
        assertThat(passed).isInstanceOf(MilterVerdict.Accept.class);
        assertThat(rewritten(clean, passed)).as("edits %s", passed.modifications()).doesNotContainIgnoringCase("X-Spam: Yes");
    }

    @Test
    void clamavRejectsEicarAndPassesCleanMailOnOneConnection() {
        String attachment = Base64.getMimeEncoder().encodeToString(ClamavMilter.EICAR.getBytes(StandardCharsets.US_ASCII));
        String infected = HEADERS.formatted("cv1", "report") + "MIME-Version: 1.0\r\n"
                + "Content-Type: multipart/mixed; boundary=\"b1\"\r\n\r\n"
                + "--b1\r\nContent-Type: text/plain\r\n\r\nSee attached.\r\n"
                + "--b1\r\nContent-Type: application/octet-stream\r\nContent-Disposition: attachment; filename=\"eicar.com\"\r\n"
                + "Content-Transfer-Encoding: base64\r\n\r\n" + attachment + "\r\n--b1--\r\n";
        MilterVerdict verdict = virusChain.check(context("CV1"), message(infected));
        assertThat(verdict).isInstanceOfSatisfying(MilterVerdict.Reject.class, reject -> {
            assertThat(reject.milter()).isEqualTo("clamav");
            assertThat(reject.reply().isPermanent()).isTrue();
            assertThat(reject.reply().status()).isEqualTo(EnhancedStatus.of("5.7.1"));
        });
        assertThat(virusChain.check(context("CV2"), message(plain("cv2", "report", "Nothing attached.\r\n"))))
                .isEqualTo(new MilterVerdict.Accept(List.of()));
        assertThat(virusChain.check(context("CV3"), message(infected))).isInstanceOf(MilterVerdict.Reject.class);
    }

    /** The cost of one milter on the accept path, as docs/benchmarks.md records it (printed, not asserted). */
    @Test
    void acceptPathCostOfOneMilter() {
        String clean = plain("bench", "report", "Nothing attached.\r\n".repeat(50));
        for (MilterChain chain : List.of(virusChain, spamChain)) {
            int n = 50;
            // Its own SMTP connection (client address), so the other tests' milter connections are not shared.
            MilterContext bench = MilterContext.of("mx", "mx.example.test", "192.0.2.77", "bench.example.net", "B",
                    "alice@example.test", List.of("bob@example.test"));
            long start = System.nanoTime();
            for (int i = 0; i < n; i++) {
                assertThat(chain.check(bench, message(clean))).isInstanceOf(MilterVerdict.Accept.class);
            }
            long micros = (System.nanoTime() - start) / 1000 / n;
            System.out.printf("milter accept path: %s %d us per message (%d messages, one SMTP connection)%n",
                    chain == virusChain ? "clamav-milter" : "rspamd", micros, n);
        }
    }

    @Test
    void opendkimSignsAndItsSignatureVerifies() throws IOException {
        String original = plain("dk1", "signed", "Hello Bob,\r\nsee you.\r\n");
        MilterContext submission = MilterContext.of("submission", "mx.example.test", "127.0.0.2", "localhost", "DK1",
                "alice@example.test", List.of("bob@example.test")).withAuthUser("alice@example.test", "PLAIN");
        MilterVerdict signed = dkimChain.check(submission, message(original));
        assertThat(signed).isInstanceOf(MilterVerdict.Accept.class);
        assertThat(signed.modifications()).anySatisfy(m -> assertThat(headerName(m)).isEqualToIgnoringCase("DKIM-Signature"));
        String signedText = rewritten(original, signed);
        assertThat(signedText).containsPattern("DKIM-Signature: v=1; a=rsa-sha256; c=relaxed/relaxed; d=example.test;\\s+s=test;");

        // The same OpenDKIM verifies mail from outside: it reads the public key of the test key pair.
        MilterVerdict verified = dkimChain.check(context("DK2"), message(signedText));
        assertThat(rewritten(signedText, verified)).containsPattern("Authentication-Results: " + OpenDkim.AUTHSERV_ID
                + ";[\\s\\S]*dkim=pass");

        String tampered = signedText.replace("see you.", "send money.");
        MilterVerdict broken = dkimChain.check(context("DK3"), message(tampered));
        assertThat(rewritten(tampered, broken)).containsPattern("dkim=(fail|neutral)").doesNotContain("dkim=pass");
    }

    private static String headerName(Modification m) {
        return switch (m) {
            case Modification.AddHeader a -> a.name();
            case Modification.InsertHeader i -> i.name();
            case Modification.ChangeHeader c -> c.name();
            default -> "";
        };
    }
}
