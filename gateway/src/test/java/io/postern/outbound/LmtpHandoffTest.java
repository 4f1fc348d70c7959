package io.postern.outbound;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.postern.config.OutboundConfig;
import io.postern.mail.DeliveryResult;
import io.postern.mail.Envelope;
import io.postern.mail.QueuedMessage;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * The hand-off's pool of delivery workers against scripted LMTP workers on loopback: a busy
 * worker (421 at greeting) is not a dead destination, one dead worker does not defer the mail,
 * sessions to a worker stay under the configured bound, and a worker dying after the final dot
 * has the message retried on another one as a repeat.
 */
class LmtpHandoffTest {

    /** What a scripted worker does with each session. */
    enum Mode { ACCEPT, BUSY, DIE_AFTER_DOT, OUT_OF_STEP_AT_DATA, OUT_OF_STEP_AT_RCPT, UNKNOWN_RECIPIENT,
        /** Refuses carol@ at RCPT, takes the others: after DATA one reply per recipient taken. */
        REFUSE_CAROL,
        /** One reply more after the final dot than recipients were taken (a worker out of step). */
        EXTRA_REPLY_AFTER_DOT,
        /** Reads the message but never answers after the dot (until the front closes). */
        SILENT_AFTER_DOT,
        /** Takes the connection and never says anything (a frozen or partitioned worker). */
        MUTE }

    /** A minimal LMTP server: greeting, LHLO, MAIL, RCPT, DATA, one 250 per recipient. */
    static final class Worker implements AutoCloseable {
        final ServerSocket server;
        volatile Mode mode;
        final AtomicInteger open = new AtomicInteger();
        final AtomicInteger maxOpen = new AtomicInteger();
        final AtomicInteger delivered = new AtomicInteger();
        final AtomicInteger sessions = new AtomicInteger();
        final List<String> mailCommands = java.util.Collections.synchronizedList(new ArrayList<>());

        Worker(Mode mode) throws IOException {
            this.mode = mode;
            this.server = new ServerSocket(0, 200, InetAddress.getLoopbackAddress());
            Thread.ofVirtual().start(() -> {
                while (!server.isClosed()) {
                    try {
                        Socket s = server.accept();
                        Thread.ofVirtual().start(() -> serve(s));
                    } catch (IOException e) {
                        return;
                    }
                }
            });
        }

        OutboundConfig.HostPort target() {
            return new OutboundConfig.HostPort("127.0.0.1", server.getLocalPort());
        }

        private void serve(Socket socket) {
            sessions.incrementAndGet();
            maxOpen.accumulateAndGet(open.incrementAndGet(), Math::max);
            try (socket) {
                OutputStream out = socket.getOutputStream();
                BufferedReader in = new BufferedReader(new InputStreamReader(socket.getInputStream(), StandardCharsets.US_ASCII));
                if (mode == Mode.BUSY) {
                    send(out, "421 4.7.0 worker too many connections, try again later");
                    return;
                }
                if (mode == Mode.MUTE) {
                    while (in.read() >= 0) {
                        // until the front gives up and closes
                    }
                    return;
                }
                send(out, "220 worker LMTP");
                int rcpts = 0;
                String line;
                while ((line = in.readLine()) != null) {
                    String verb = line.length() >= 4 ? line.substring(0, 4).toUpperCase() : line;
                    switch (verb) {
                        case "LHLO" -> send(out, "250-worker\r\n250-XPOSTERN-KEY\r\n250 PIPELINING");
                        case "MAIL" -> {
                            mailCommands.add(line);
                            rcpts = 0;
                            send(out, "250 2.1.0 ok");
                        }
                        case "RCPT" -> {
                            if (mode == Mode.OUT_OF_STEP_AT_RCPT) {
                                send(out, "503 5.5.1 Need MAIL command");
                                continue;
                            }
                            if (mode == Mode.UNKNOWN_RECIPIENT
                                    || mode == Mode.REFUSE_CAROL && line.toLowerCase().startsWith("rcpt to:<carol@")) {
                                send(out, "550 5.1.1 no such user");
                                continue;
                            }
                            rcpts++;
                            send(out, "250 2.1.5 ok");
                        }
                        case "DATA" -> {
                            if (mode == Mode.UNKNOWN_RECIPIENT) {
                                send(out, "503 5.5.1 No valid recipients");
                                continue;
                            }
                            if (mode == Mode.OUT_OF_STEP_AT_DATA) {
                                // Seen in ClusterIT: 250 to MAIL and RCPT, then 503 to DATA on a pooled session.
                                send(out, "503 5.5.1 Need MAIL command");
                                continue;
                            }
                            send(out, "354 go");
                            while (!(line = in.readLine()).equals(".")) {
                                // the content is not kept
                            }
                            if (mode == Mode.DIE_AFTER_DOT) {
                                return;
                            }
                            if (mode == Mode.SILENT_AFTER_DOT) {
                                in.readLine();
                                return;
                            }
                            delivered.incrementAndGet();
                            StringBuilder replies = new StringBuilder();
                            for (int i = 0; i < rcpts; i++) {
                                replies.append(i == 0 ? "" : "\r\n").append("250 2.0.0 delivered");
                            }
                            if (mode == Mode.EXTRA_REPLY_AFTER_DOT) {
                                // In the same write: it is on the wire before the front has read the real one.
                                replies.append("\r\n250 2.0.0 delivered twice");
                            }
                            send(out, replies.toString());
                        }
                        case "RSET" -> send(out, "250 2.0.0 ok");
                        case "QUIT" -> {
                            send(out, "221 bye");
                            return;
                        }
                        default -> send(out, "500 5.5.1 what");
                    }
                }
            } catch (IOException | NullPointerException e) {
                // the client went away
            } finally {
                open.decrementAndGet();
            }
        }

        private static void send(OutputStream out, String reply) throws IOException {
            out.write((reply + "\r\n").getBytes(StandardCharsets.US_ASCII));
            out.flush();
        }

        @Override
        public void close() throws IOException {
            server.close();
        }
    }

    private static OutboundConfig config(List<OutboundConfig.HostPort> targets, int maxSessions, Duration busyWait) {
        return config(targets, maxSessions, busyWait, Duration.ofSeconds(10));
    }

    private static OutboundConfig config(List<OutboundConfig.HostPort> targets, int maxSessions, Duration busyWait,
                                         Duration dataDone) {
        return config(targets, maxSessions, busyWait, dataDone, OutboundConfig.Handoff.defaults().directWait());
    }

    private static OutboundConfig config(List<OutboundConfig.HostPort> targets, int maxSessions, Duration busyWait,
                                         Duration dataDone, Duration directWait) {
        OutboundConfig d = OutboundConfig.defaults();
        OutboundConfig.Timeouts t = new OutboundConfig.Timeouts(Duration.ofSeconds(5), Duration.ofSeconds(10),
                Duration.ofSeconds(10), Duration.ofSeconds(10), Duration.ofSeconds(10), Duration.ofSeconds(10),
                Duration.ofSeconds(10), dataDone);
        // Idle sessions outlive every test: a session closed early was closed by the front on purpose.
        OutboundConfig.Connections c = d.connections();
        OutboundConfig.Connections connections = new OutboundConfig.Connections(c.maxPerDestination(),
                c.maxIdlePerDestination(), Duration.ofHours(1), c.maxMessagesPerConnection());
        return new OutboundConfig(d.port(), List.of(), d.dnsTimeout(), t, d.tls(), d.relayHost(), connections,
                d.maxRecipientsPerTransaction(), d.maxReplyLineLength(), d.maxReplyLines(), targets,
                new OutboundConfig.Handoff(maxSessions, busyWait, Duration.ofMinutes(5), directWait));
    }

    private static QueuedMessage message(String id) {
        QueuedMessage m = MailTransactionTest.message("Subject: " + id + "\r\n\r\nhello\r\n",
                Envelope.BodyType.SEVEN_BIT, false, Optional.empty());
        return new QueuedMessage(id, m.envelope(), m.content(), QueuedMessage.Attempt.FIRST);
    }

    private static List<DeliveryResult> deliver(LmtpHandoff handoff, QueuedMessage m) throws Exception {
        return handoff.deliver(m, m.envelope().recipients()).get(60, TimeUnit.SECONDS);
    }

    @Test
    void aWorkerAnswering421IsBusyNotDeadAndTheNextWorkerTakesTheMessage() throws Exception {
        try (Worker busy = new Worker(Mode.BUSY); Worker ok = new Worker(Mode.ACCEPT);
             LmtpHandoff handoff = LmtpHandoff.create(config(List.of(busy.target(), ok.target()), 4,
                     Duration.ofSeconds(30)), "front.test", new SimpleMeterRegistry())) {
            for (int i = 0; i < 6; i++) {
                assertThat(deliver(handoff, message("B" + i))).singleElement()
                        .satisfies(r -> assertThat(r.isDelivered()).as(r.label()).isTrue());
            }
            assertThat(ok.delivered).hasValue(6);
            // Busy does not take the worker out: it keeps being asked (rotation), unlike a dead one.
            assertThat(busy.sessions.get()).isGreaterThan(1);
        }
    }

    @Test
    void everyWorkerBusyWaitsAndDeliversWhenOneFrees() throws Exception {
        try (Worker worker = new Worker(Mode.BUSY);
             LmtpHandoff handoff = LmtpHandoff.create(config(List.of(worker.target()), 4, Duration.ofSeconds(60)),
                     "front.test", new SimpleMeterRegistry())) {
            CompletableFuture<List<DeliveryResult>> pending = handoff.deliver(message("W1"),
                    message("W1").envelope().recipients());
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (worker.sessions.get() < 2 && System.nanoTime() < deadline) {
                Thread.onSpinWait();
            }
            assertThat(pending).isNotDone();
            worker.mode = Mode.ACCEPT;
            assertThat(pending.get(60, TimeUnit.SECONDS)).singleElement()
                    .satisfies(r -> assertThat(r.isDelivered()).as(r.label()).isTrue());
        }
    }

    @Test
    void busyPastTheWaitDefersWithTheBusyCodeNotAConnectionFailure() throws Exception {
        try (Worker worker = new Worker(Mode.BUSY);
             LmtpHandoff handoff = LmtpHandoff.create(config(List.of(worker.target()), 4, Duration.ZERO),
                     "front.test", new SimpleMeterRegistry())) {
            assertThat(deliver(handoff, message("Z1"))).singleElement().satisfies(r -> {
                assertThat(r.isDeferred()).as(r.label()).isTrue();
                assertThat(r.status()).isEqualTo(Diagnostics.WORKERS_BUSY_CODE);
                assertThat(r.diagnostic()).contains("421 4.7.0");
            });
        }
    }

    @Test
    void oneDeadWorkerIsPassedOverAndTheOtherDeliversEverything() throws Exception {
        int dead;
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            dead = s.getLocalPort();
        }
        try (Worker ok = new Worker(Mode.ACCEPT);
             LmtpHandoff handoff = LmtpHandoff.create(config(List.of(new OutboundConfig.HostPort("127.0.0.1", dead),
                     ok.target()), 4, Duration.ofSeconds(30)), "front.test", new SimpleMeterRegistry())) {
            for (int i = 0; i < 5; i++) {
                assertThat(deliver(handoff, message("D" + i))).singleElement()
                        .satisfies(r -> assertThat(r.isDelivered()).as(r.label()).isTrue());
            }
            assertThat(ok.delivered).hasValue(5);
        }
    }

    @Test
    void sessionsToOneWorkerNeverExceedTheBound() throws Exception {
        try (Worker ok = new Worker(Mode.ACCEPT);
             LmtpHandoff handoff = LmtpHandoff.create(config(List.of(ok.target()), 3, Duration.ofSeconds(60)),
                     "front.test", new SimpleMeterRegistry())) {
            List<CompletableFuture<List<DeliveryResult>>> all = new ArrayList<>();
            for (int i = 0; i < 40; i++) {
                QueuedMessage m = message("S" + i);
                all.add(handoff.deliver(m, m.envelope().recipients()));
            }
            for (CompletableFuture<List<DeliveryResult>> f : all) {
                assertThat(f.get(60, TimeUnit.SECONDS)).singleElement()
                        .satisfies(r -> assertThat(r.isDelivered()).as(r.label()).isTrue());
            }
            assertThat(ok.delivered).hasValue(40);
            assertThat(ok.maxOpen.get()).isBetween(1, 3);
            assertThat(handoff.openSessions(new InetSocketAddress("127.0.0.1", ok.server.getLocalPort())))
                    .isLessThanOrEqualTo(3);
        }
    }

    @Test
    void aWorkerDyingAfterTheFinalDotHasTheMessageRetriedElsewhereAsARepeat() throws Exception {
        try (Worker dying = new Worker(Mode.DIE_AFTER_DOT); Worker ok = new Worker(Mode.ACCEPT)) {
            // The dying worker first: order is by rotation, so deliver until it has been hit once.
            try (LmtpHandoff handoff = LmtpHandoff.create(config(List.of(dying.target(), ok.target()), 4,
                    Duration.ofSeconds(30)), "front.test", new SimpleMeterRegistry())) {
                for (int i = 0; i < 2; i++) {
                    assertThat(deliver(handoff, message("K" + i))).singleElement()
                            .satisfies(r -> assertThat(r.isDelivered()).as(r.label()).isTrue());
                }
            }
            assertThat(dying.sessions.get()).isEqualTo(1);
            assertThat(ok.delivered).hasValue(2);
            // The same key on both workers; the retry says it may be a repeat, so the worker looks for the copy.
            String first = dying.mailCommands.getFirst();
            assertThat(first).matches("MAIL FROM:<> XPOSTERN-KEY=K[01]:0:F:front\\.test");
            String id = first.substring(first.indexOf('=') + 1, first.indexOf(':', first.indexOf('=')));
            assertThat(ok.mailCommands).contains("MAIL FROM:<> XPOSTERN-KEY=" + id + ":0:R:front.test");
        }
    }

    @Test
    void upToMaxSessionsPerWorkerAreKeptIdleWhateverTheOutboundIdleLimit() {
        OutboundConfig config = config(List.of(new OutboundConfig.HostPort("127.0.0.1", 24)), 12, Duration.ofSeconds(30));
        assertThat(config.connections().maxIdlePerDestination()).isLessThan(12);
        assertThat(LmtpHandoff.keepingIdle(config).connections().maxIdlePerDestination()).isEqualTo(12);
        assertThat(LmtpHandoff.keepingIdle(config).handoff()).isEqualTo(config.handoff());
    }

    @Test
    void beforeTheReplyABusyPoolIsWaitedForOnlyDirectWaitThenLeftToTheQueueUntouched() throws Exception {
        try (Worker worker = new Worker(Mode.BUSY);
             LmtpHandoff handoff = LmtpHandoff.create(config(List.of(worker.target()), 4, Duration.ofMinutes(10),
                     Duration.ofSeconds(10), Duration.ofMillis(300)), "front.test", new SimpleMeterRegistry())) {
            QueuedMessage m = message("P1");
            long start = System.nanoTime();
            assertThat(handoff.deliverBeforeReply(m, m.envelope().recipients()))
                    .as("nothing reached a worker: the queue takes it as a first attempt").isEmpty();
            assertThat(Duration.ofNanos(System.nanoTime() - start)).as("bounded by directWait, not busyWait")
                    .isLessThan(Duration.ofMinutes(5));
            assertThat(worker.sessions.get()).isGreaterThanOrEqualTo(1);
            assertThat(worker.delivered).hasValue(0);
        }
    }

    @Test
    void beforeTheReplyTheFirstAttemptIsKeyedAndAWorkerDyingAfterTheDotHasItRetriedAsARepeat() throws Exception {
        try (Worker dying = new Worker(Mode.DIE_AFTER_DOT); Worker ok = new Worker(Mode.ACCEPT)) {
            try (LmtpHandoff handoff = LmtpHandoff.create(config(List.of(dying.target(), ok.target()), 4,
                    Duration.ofSeconds(30)), "front.test", new SimpleMeterRegistry())) {
                for (int i = 0; i < 2; i++) {
                    QueuedMessage m = message("E" + i);
                    assertThat(handoff.deliverBeforeReply(m, m.envelope().recipients())).hasValueSatisfying(
                            results -> assertThat(results).singleElement()
                                    .satisfies(r -> assertThat(r.isDelivered()).as(r.label()).isTrue()));
                }
            }
            assertThat(ok.delivered).hasValue(2);
            String first = dying.mailCommands.getFirst();
            assertThat(first).matches("MAIL FROM:<> XPOSTERN-KEY=E[01]:0:F:front\\.test");
            String id = first.substring(first.indexOf('=') + 1, first.indexOf(':', first.indexOf('=')));
            assertThat(ok.mailCommands).contains("MAIL FROM:<> XPOSTERN-KEY=" + id + ":0:R:front.test");
        }
    }

    @Test
    void beforeTheReplyAFrozenWorkerIsGivenUpAfterDirectWaitNotTheGreetingTimeout() throws Exception {
        try (Worker mute = new Worker(Mode.MUTE);
             LmtpHandoff handoff = LmtpHandoff.create(config(List.of(mute.target()), 4, Duration.ofMinutes(10),
                     Duration.ofSeconds(10), Duration.ofMillis(300)), "front.test", new SimpleMeterRegistry())) {
            QueuedMessage m = message("F1");
            long start = System.nanoTime();
            assertThat(handoff.deliverBeforeReply(m, m.envelope().recipients()))
                    .as("nothing was sent: the queue takes it as a first attempt").isEmpty();
            // The greeting timeout in config() is 5 minutes.
            assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofMinutes(4));
            assertThat(mute.sessions.get()).isEqualTo(1);
        }
    }

    @Test
    void beforeTheReplyAMessageThatMayHaveArrivedIsNeverLeftAsUntouched() throws Exception {
        try (Worker dying = new Worker(Mode.DIE_AFTER_DOT);
             LmtpHandoff handoff = LmtpHandoff.create(config(List.of(dying.target()), 4, Duration.ofSeconds(30)),
                     "front.test", new SimpleMeterRegistry())) {
            QueuedMessage m = message("M1");
            assertThat(handoff.deliverBeforeReply(m, m.envelope().recipients()))
                    .as("deferred, so that the queue retries it as a repeat").hasValueSatisfying(results ->
                            assertThat(results).singleElement().satisfies(r -> assertThat(r.isDeferred()).isTrue()));
        }
    }

    @org.junit.jupiter.params.ParameterizedTest
    @org.junit.jupiter.params.provider.EnumSource(value = Mode.class, names = {"OUT_OF_STEP_AT_DATA", "OUT_OF_STEP_AT_RCPT"})
    void a503ToOurOwnEnvelopeDefersOnANewSessionAndNeverBounces(Mode outOfStep) throws Exception {
        try (Worker worker = new Worker(outOfStep);
             LmtpHandoff handoff = LmtpHandoff.create(config(List.of(worker.target()), 4, Duration.ofSeconds(30)),
                     "front.test", new SimpleMeterRegistry())) {
            assertThat(deliver(handoff, message("O1"))).singleElement().satisfies(r -> {
                assertThat(r.isDelivered()).isFalse();
                assertThat(r.outcome()).as(r.label()).isInstanceOf(io.postern.mail.RecipientOutcome.Deferred.class);
                assertThat(r.diagnostic()).contains("out of step").contains("503 5.5.1 Need MAIL command");
                assertThat(r.status().toString()).isEqualTo("4.5.1");
            });
            worker.mode = Mode.ACCEPT;
            assertThat(deliver(handoff, message("O2"))).singleElement()
                    .satisfies(r -> assertThat(r.isDelivered()).as(r.label()).isTrue());
            assertThat(worker.sessions.get()).as("the out-of-step session is not reused").isEqualTo(2);
        }
    }

    @Test
    void a503ToDataAfterEveryRecipientWasRefusedIsNotOutOfStep() throws Exception {
        try (Worker worker = new Worker(Mode.UNKNOWN_RECIPIENT);
             LmtpHandoff handoff = LmtpHandoff.create(config(List.of(worker.target()), 4, Duration.ofSeconds(30)),
                     "front.test", new SimpleMeterRegistry())) {
            assertThat(deliver(handoff, message("U1"))).singleElement().satisfies(r -> {
                assertThat(r.isFailed()).as(r.label()).isTrue();
                assertThat(r.status().toString()).isEqualTo("5.1.1");
            });
        }
    }

    private static final io.postern.mail.EnvelopeRecipient CAROL =
            io.postern.mail.EnvelopeRecipient.of(new io.postern.mail.MailAddress("carol", "example.net"));

    @Test
    void aRefusedRecipientLeavesTheReusedSessionInStepForTheNextMessage() throws Exception {
        try (Worker worker = new Worker(Mode.REFUSE_CAROL);
             LmtpHandoff handoff = LmtpHandoff.create(config(List.of(worker.target()), 4, Duration.ofSeconds(30)),
                     "front.test", new SimpleMeterRegistry())) {
            for (String id : List.of("P1", "P2", "P3")) {
                QueuedMessage m = message(id);
                List<io.postern.mail.EnvelopeRecipient> both = List.of(CAROL, m.envelope().recipients().getFirst());
                List<DeliveryResult> results = handoff.deliver(m, both).get(60, TimeUnit.SECONDS);
                assertThat(results).as(id).hasSize(2);
                assertThat(results).filteredOn(r -> r.recipient().equals(CAROL)).singleElement()
                        .satisfies(r -> assertThat(r.status().toString()).as(r.label()).isEqualTo("5.1.1"));
                assertThat(results).filteredOn(r -> !r.recipient().equals(CAROL)).singleElement()
                        .satisfies(r -> assertThat(r.isDelivered()).as(r.label()).isTrue());
            }
            assertThat(worker.delivered).hasValue(3);
            assertThat(worker.sessions.get()).as("one session, reused").isEqualTo(1);
        }
    }

    @Test
    void aSessionWithAReplyNobodyAskedForIsClosedNotReused() throws Exception {
        try (Worker worker = new Worker(Mode.EXTRA_REPLY_AFTER_DOT);
             LmtpHandoff handoff = LmtpHandoff.create(config(List.of(worker.target()), 4, Duration.ofSeconds(30)),
                     "front.test", new SimpleMeterRegistry())) {
            for (String id : List.of("X1", "X2", "X3")) {
                // Reused, the stray reply would be read as the RSET probe's and every later reply shift by one:
                // MAIL's 250 as RCPT's, RCPT's 250 as DATA's, and the message deferred as out of step.
                assertThat(deliver(handoff, message(id))).singleElement()
                        .satisfies(r -> assertThat(r.isDelivered()).as(id + " " + r.label() + " " + r.diagnostic()).isTrue());
                // Whether the stray reply came before the session was pooled or after, the front closes it.
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
                while (worker.open.get() > 0 && System.nanoTime() < deadline) {
                    Thread.sleep(5);
                }
                assertThat(worker.open).as("the session with a stray reply is closed").hasValue(0);
            }
            assertThat(worker.delivered).hasValue(3);
            assertThat(worker.sessions.get()).as("no session with a stray reply is reused").isEqualTo(3);
        }
    }

    @Test
    void aWorkerSilentAfterTheDotTimesOutAndItsSessionIsNeverReused() throws Exception {
        try (Worker worker = new Worker(Mode.SILENT_AFTER_DOT);
             LmtpHandoff handoff = LmtpHandoff.create(config(List.of(worker.target()), 4, Duration.ZERO,
                     Duration.ofMillis(300)), "front.test", new SimpleMeterRegistry())) {
            assertThat(deliver(handoff, message("T1"))).singleElement()
                    .satisfies(r -> assertThat(r.isDeferred()).as(r.label()).isTrue());
            worker.mode = Mode.ACCEPT;
            assertThat(deliver(handoff, message("T2"))).singleElement()
                    .satisfies(r -> assertThat(r.isDelivered()).as(r.label()).isTrue());
            assertThat(worker.sessions.get()).as("the timed-out session is not reused").isEqualTo(2);
        }
    }
}
