package io.postern.milter;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.postern.config.MilterAddress;
import io.postern.config.MilterConfig;
import io.postern.config.MilterDefaultAction;
import io.postern.mail.EnhancedStatus;
import io.postern.mail.MessageContent;
import io.postern.testing.TestContent;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The client against a scripted milter: every failure gives the default action within its timeout. */
class MilterChainTest {
    private static final String MESSAGE = "From: a@example.test\r\nTo: b@example.test\r\nSubject: hi\r\n"
            + " folded\r\n\r\nHello\r\n";
    private static final MilterContext CTX = MilterContext.of("mx", "mx.example.test", "192.0.2.7", "client.example",
            "Q123", "a@example.test", List.of("b@example.test")).withAuthUser("alice", "PLAIN");

    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    private final List<AutoCloseable> resources = new ArrayList<>();

    @AfterEach
    void close() throws Exception {
        for (AutoCloseable c : resources) {
            c.close();
        }
    }

    private FakeMilter fake(FakeMilter.Script script) throws IOException {
        FakeMilter fake = new FakeMilter(script);
        resources.add(fake);
        return fake;
    }

    private static MilterConfig config(int port) {
        return MilterConfig.of("fake", new MilterAddress.Inet("127.0.0.1", port))
                .withTimeouts(Duration.ofSeconds(2), Duration.ofSeconds(2), Duration.ofSeconds(2));
    }

    private MilterChain chain(MilterConfig... configs) {
        MilterChain chain = MilterChain.of(List.of(configs), registry);
        resources.add(chain);
        return chain;
    }

    static MessageContent message(String text) {
        return TestContent.of(text);
    }

    private double failures(String cause) {
        var counter = registry.find("postern.milter.failures").tag("cause", cause).counter();
        return counter == null ? 0 : counter.count();
    }

    @Test
    void acceptsWithEditsAndSendsTheWholeDialogue() throws IOException {
        FakeMilter fake = fake(FakeMilter.polite(List.of(FakeMilter.reply('h', "X-Scanned", "yes"), FakeMilter.reply('a'))));
        MilterVerdict verdict = chain(config(fake.port())).check(CTX, message(MESSAGE));
        assertThat(verdict).isEqualTo(new MilterVerdict.Accept(List.of(new Modification.AddHeader("fake", "X-Scanned", "yes"))));
        assertThat(String.join("", fake.commands)).isEqualTo("ODCHDMDRDTLLLDNBDE");
        String frames = fake.frames.stream().map(f -> new String(f, StandardCharsets.UTF_8)).reduce("", (a, b) -> a + "|" + b);
        assertThat(frames).contains("|DMi\0Q123\0{auth_type}\0PLAIN\0{auth_authen}\0alice\0")
                .contains("|DR{rcpt_addr}\0b@example.test\0{rcpt_host}\0example.test\0")
                .contains("|R<b@example.test>\0")
                .contains("|M<a@example.test>\0")
                .contains("|LSubject\0hi\n folded\0")
                .contains("|BHello\r\n");
        assertThat(registry.find("postern.milter.actions").tag("action", "add-header").counter().count()).isEqualTo(1);
        assertThat(registry.find("postern.milter.latency").timer().count()).isEqualTo(1);
    }

    @Test
    void reusesTheConnectionForTheNextMessageOfTheSameSmtpConnection() throws IOException {
        FakeMilter fake = fake(FakeMilter.polite(List.of(FakeMilter.reply('a'))));
        MilterChain chain = chain(config(fake.port()));
        chain.check(CTX, message(MESSAGE));
        chain.check(CTX, message(MESSAGE));
        assertThat(fake.connections.get()).isEqualTo(1);
        // The second message starts at MAIL, as Postfix's next message in one SMTP session does.
        assertThat(String.join("", fake.commands)).containsOnlyOnce("O").containsOnlyOnce("C").contains("EDM");

        MilterContext otherClient = MilterContext.of("mx", "mx.example.test", "192.0.2.99", "other.example", "Q124",
                "a@example.test", List.of("b@example.test"));
        chain.check(otherClient, message(MESSAGE));
        assertThat(fake.connections.get()).isEqualTo(2);

        chain.sessionEnded(CTX);
        chain.sessionEnded(otherClient);
        chain.check(CTX, message(MESSAGE));
        assertThat(fake.connections.get()).isEqualTo(3);
        assertThat(String.join("", fake.commands)).contains("Q");
    }

    @Test
    void milterReplyCodeRejectsWithItsOwnText() throws IOException {
        FakeMilter fake = fake(FakeMilter.polite(List.of(FakeMilter.reply('y', "550 5.7.1 Virus found: Eicar"))));
        MilterVerdict verdict = chain(config(fake.port())).check(CTX, message(MESSAGE));
        assertThat(verdict).isEqualTo(new MilterVerdict.Reject("fake",
                new MilterReply(550, EnhancedStatus.of("5.7.1"), "Virus found: Eicar")));
    }

    @Test
    void plainRejectAndTempfailUseTheCatalogue() throws IOException {
        FakeMilter rejecting = fake((c, d) -> c == 'O' ? List.of(FakeMilter.options(0, 0)) : c == 'M' ? List.of(FakeMilter.reply('r'))
                : c == 'C' || c == 'H' ? List.of(FakeMilter.reply('c')) : List.of());
        assertThat(chain(config(rejecting.port())).check(CTX, message(MESSAGE)))
                .isEqualTo(new MilterVerdict.Reject("fake", MilterReplies.REJECTED));
        assertThat(MilterReplies.REJECTED.toString()).startsWith("554 5.7.1 ");
        FakeMilter tempfailing = fake(FakeMilter.polite(List.of(FakeMilter.reply('t'))));
        MilterVerdict verdict = chain(config(tempfailing.port())).check(CTX, message(MESSAGE));
        assertThat(verdict).isEqualTo(new MilterVerdict.TempFail("fake", MilterReplies.TEMPFAILED));
        assertThat(MilterReplies.TEMPFAILED.toString()).startsWith("451 4.7.1 ");
        assertThat(String.join("", rejecting.commands)).endsWith("MA");
    }

    @Test
    void addsARecipientWithAndWithoutEsmtpArgs() throws IOException {
        FakeMilter fake = fake(FakeMilter.polite(List.of(FakeMilter.reply('+', "<copy@example.test>"),
                FakeMilter.reply('2', "<audit@example.test>", "NOTIFY=NEVER"), FakeMilter.reply('-', "<b@example.test>"),
                FakeMilter.reply('e', "<bounce@example.test>"), FakeMilter.reply('c'))));
        MilterVerdict verdict = chain(config(fake.port())).check(CTX, message(MESSAGE));
        assertThat(verdict.modifications()).containsExactly(
                new Modification.AddRecipient("fake", "<copy@example.test>", Optional.empty()),
                new Modification.AddRecipient("fake", "<audit@example.test>", Optional.of("NOTIFY=NEVER")),
                new Modification.DeleteRecipient("fake", "<b@example.test>"),
                new Modification.ChangeSender("fake", "<bounce@example.test>", Optional.empty()));
    }

    @Test
    void replacesTheBodyFromSeveralChunksAndTheRewriterShowsIt() throws IOException {
        FakeMilter fake = fake(FakeMilter.polite(List.of(FakeMilter.reply('b', "New ".getBytes(StandardCharsets.US_ASCII)),
                FakeMilter.reply('b', "body\n".getBytes(StandardCharsets.US_ASCII)),
                FakeMilter.reply('m', new byte[] {0, 0, 0, 1, 'S', 'u', 'b', 'j', 'e', 'c', 't', 0, '[', 'x', ']', 0}),
                FakeMilter.reply('a'))));
        MilterVerdict verdict = chain(config(fake.port())).check(CTX, message(MESSAGE));
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        MessageRewriter.write(message(MESSAGE), verdict.modifications(), out);
        assertThat(out.toString(StandardCharsets.UTF_8))
                .isEqualTo("From: a@example.test\r\nTo: b@example.test\r\nSubject: [x]\r\n\r\nNew body\r\n");
    }

    @Test
    void quarantineHoldsTheMessage() throws IOException {
        FakeMilter fake = fake(FakeMilter.polite(List.of(FakeMilter.reply('q', "suspicious"), FakeMilter.reply('a'))));
        assertThat(chain(config(fake.port())).check(CTX, message(MESSAGE)))
                .isEqualTo(new MilterVerdict.Quarantine("fake", "suspicious", List.of()));
    }

    @Test
    void discardStopsTheChain() throws IOException {
        FakeMilter discarding = fake(FakeMilter.polite(List.of(FakeMilter.reply('d'))));
        FakeMilter second = fake(FakeMilter.polite(List.of(FakeMilter.reply('a'))));
        MilterConfig other = MilterConfig.of("second", new MilterAddress.Inet("127.0.0.1", second.port()));
        assertThat(chain(config(discarding.port()), other).check(CTX, message(MESSAGE)))
                .isEqualTo(new MilterVerdict.Discard("fake"));
        assertThat(second.connections.get()).isZero();
    }

    @Test
    void bodyGoesInChunksOfAtMost65535Bytes() throws IOException {
        FakeMilter fake = fake(FakeMilter.polite(List.of(FakeMilter.reply('a'))));
        String body = ("x".repeat(998) + "\r\n").repeat(150);
        chain(config(fake.port())).check(CTX, message("Subject: big\r\n\r\n" + body));
        List<Integer> sizes = fake.frames.stream().filter(f -> f[0] == 'B').map(f -> f.length - 1).toList();
        assertThat(sizes).containsExactly(65535, 65535, 150_000 - 2 * 65535);
    }

    @Test
    void progressRestartsTheEndOfMessageDeadline() throws IOException {
        // The milter sends 20 progress frames, then accept, 100 ms apart: 2 s in all, twice the
        // end-of-message deadline, which only the restarts let it outlast.
        FakeMilter slowButAlive = fake(new FakeMilter.Script() {
            @Override
            public List<byte[]> answer(byte command, byte[] data) throws IOException {
                if (command != 'E') {
                    return FakeMilter.polite(List.of()).answer(command, data);
                }
                return PROGRESS_THEN_ACCEPT;
            }
        });
        MilterConfig config = config(slowButAlive.port()).withTimeouts(Duration.ofSeconds(2), Duration.ofSeconds(2),
                Duration.ofSeconds(1));
        assertThat(chain(config).check(CTX, message(MESSAGE))).isEqualTo(new MilterVerdict.Accept(List.of()));
    }

    private static final List<byte[]> PROGRESS_THEN_ACCEPT = progressThenAccept();

    private static List<byte[]> progressThenAccept() {
        List<byte[]> frames = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            frames.add(FakeMilter.PAUSE);
            frames.add(FakeMilter.reply('p'));
        }
        frames.add(FakeMilter.PAUSE);
        frames.add(FakeMilter.reply('a'));
        return frames;
    }

    @Test
    void downMilterGivesTheDefaultAction() throws IOException {
        int port;
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = s.getLocalPort();
        }
        assertThat(chain(config(port)).check(CTX, message(MESSAGE)))
                .isEqualTo(new MilterVerdict.TempFail("fake", MilterReplies.UNAVAILABLE));
        assertThat(chain(config(port).withDefaultAction(MilterDefaultAction.ACCEPT)).check(CTX, message(MESSAGE)))
                .isEqualTo(new MilterVerdict.Accept(List.of()));
        assertThat(failures("connect")).isEqualTo(2);
    }

    @Test
    void hangingMilterGivesTheDefaultActionWithinTheTimeout() throws IOException {
        FakeMilter fake = fake((command, data) -> command == 'E' ? FakeMilter.HANG : FakeMilter.polite(List.of()).answer(command, data));
        MilterConfig config = config(fake.port()).withTimeouts(Duration.ofSeconds(2), Duration.ofSeconds(2),
                Duration.ofMillis(300));
        long start = System.nanoTime();
        MilterVerdict verdict = chain(config).check(CTX, message(MESSAGE));
        long elapsed = System.nanoTime() - start;
        assertThat(verdict).isEqualTo(new MilterVerdict.TempFail("fake", MilterReplies.UNAVAILABLE));
        assertThat(Duration.ofNanos(elapsed)).isGreaterThanOrEqualTo(Duration.ofMillis(300)).isLessThan(Duration.ofSeconds(10));
        assertThat(failures("timeout")).isEqualTo(1);
    }

    @Test
    void milterClosingMidMessageGivesTheDefaultAction() throws IOException {
        FakeMilter fake = fake((command, data) -> command == 'L' ? FakeMilter.CLOSE : FakeMilter.polite(List.of()).answer(command, data));
        assertThat(chain(config(fake.port()).withDefaultAction(MilterDefaultAction.ACCEPT)).check(CTX, message(MESSAGE)))
                .isEqualTo(new MilterVerdict.Accept(List.of()));
        assertThat(failures("closed")).isEqualTo(1);
    }

    @Test
    void nonsenseGivesTheDefaultAction() throws IOException {
        FakeMilter garbage = fake((command, data) -> command == 'O' ? List.of(FakeMilter.options(0x1ff, 0))
                : List.of(FakeMilter.reply('Z')));
        assertThat(chain(config(garbage.port())).check(CTX, message(MESSAGE)))
                .isEqualTo(new MilterVerdict.TempFail("fake", MilterReplies.UNAVAILABLE));
        FakeMilter badCode = fake(FakeMilter.polite(List.of(FakeMilter.reply('y', "250 2.0.0 fine"))));
        assertThat(chain(config(badCode.port())).check(CTX, message(MESSAGE)))
                .isEqualTo(new MilterVerdict.TempFail("fake", MilterReplies.UNAVAILABLE));
        FakeMilter unasked = fake((command, data) -> command == 'O' ? List.of(FakeMilter.options(0, 0))
                : command == 'E' ? List.of(FakeMilter.reply('h', "X", "y"), FakeMilter.reply('a'))
                : FakeMilter.polite(List.of()).answer(command, data));
        assertThat(chain(config(unasked.port())).check(CTX, message(MESSAGE)))
                .isEqualTo(new MilterVerdict.TempFail("fake", MilterReplies.UNAVAILABLE));
        FakeMilter huge = fake((command, data) -> command == 'O'
                ? List.of(new byte[] {0x7f, 0, 0, 0, 'O'}) : List.of());
        assertThat(chain(config(huge.port())).check(CTX, message(MESSAGE)))
                .isEqualTo(new MilterVerdict.TempFail("fake", MilterReplies.UNAVAILABLE));
        assertThat(failures("protocol")).isEqualTo(4);
    }

    @Test
    void circuitOpensAfterTheThresholdAndProbesAfterTheDelay() throws IOException {
        AtomicLong clock = new AtomicLong();
        boolean[] healthy = {false};
        FakeMilter fake = fake((command, data) -> healthy[0] ? FakeMilter.polite(List.of(FakeMilter.reply('a'))).answer(command, data)
                : FakeMilter.CLOSE);
        MilterConfig config = config(fake.port()).withBreaker(2, Duration.ofMinutes(1));
        MilterClient client = new MilterClient(config, registry, clock::get);
        MilterChain chain = new MilterChain(List.of(client));
        resources.add(chain);
        chain.check(CTX, message(MESSAGE));
        chain.check(CTX, message(MESSAGE));
        assertThat(client.circuit()).isEqualTo(CircuitBreaker.State.OPEN);
        int before = fake.connections.get();
        assertThat(chain.check(CTX, message(MESSAGE))).isEqualTo(new MilterVerdict.TempFail("fake", MilterReplies.UNAVAILABLE));
        assertThat(fake.connections.get()).isEqualTo(before);
        assertThat(failures("circuit-open")).isEqualTo(1);

        clock.addAndGet(Duration.ofMinutes(1).toNanos());
        healthy[0] = true;
        assertThat(chain.check(CTX, message(MESSAGE))).isEqualTo(new MilterVerdict.Accept(List.of()));
        assertThat(client.circuit()).isEqualTo(CircuitBreaker.State.CLOSED);
    }

    @Test
    void halfOpenProbeThatFailsReopensTheCircuit() {
        AtomicLong clock = new AtomicLong();
        CircuitBreaker breaker = new CircuitBreaker(3, Duration.ofSeconds(10), clock::get);
        breaker.failure();
        breaker.failure();
        assertThat(breaker.tryAcquire()).isTrue();
        breaker.failure();
        assertThat(breaker.tryAcquire()).isFalse();
        clock.addAndGet(Duration.ofSeconds(10).toNanos());
        assertThat(breaker.tryAcquire()).isTrue();
        assertThat(breaker.tryAcquire()).as("one probe at a time").isFalse();
        breaker.failure();
        assertThat(breaker.state()).isEqualTo(CircuitBreaker.State.OPEN);
    }
}
