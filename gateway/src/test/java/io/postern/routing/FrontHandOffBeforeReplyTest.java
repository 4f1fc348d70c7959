package io.postern.routing;

import static io.postern.testing.MapDirectory.addr;
import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.postern.config.DeliveryConfig;
import io.postern.config.QueueConfig;
import io.postern.delivery.DeliveryKey;
import io.postern.mail.Acceptance;
import io.postern.mail.DeliveryAgent;
import io.postern.mail.DeliveryResult;
import io.postern.mail.EnhancedStatus;
import io.postern.mail.Envelope;
import io.postern.mail.EnvelopeRecipient;
import io.postern.mail.HandoffKey;
import io.postern.mail.IncomingMessage;
import io.postern.mail.QueuedMessage;
import io.postern.queue.IoHooks;
import io.postern.queue.MailQueue;
import io.postern.testing.Await;
import io.postern.testing.MapDirectory;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Role {@code front} with hand-off: the queue's sink offers an all-local message to the delivery
 * workers (here a scripted LMTP agent behind the real routing) before the reply. Taken by a worker:
 * no queue file is ever written. Left partly deferred: a record with the rest pending whose next
 * attempt is a repeat under the same hand-off key. A failing hand-off: everything queued.
 */
class FrontHandOffBeforeReplyTest {
    private static final String ORIGIN = "front-1";

    @TempDir
    Path base;

    private final MapDirectory dir = new MapDirectory("example.test")
            .mailboxes("bob@example.test", "carol@example.test");
    /** Every queue path written or fsync'd after the queue started (content, envelope, directory). */
    private final List<Path> touched = new CopyOnWriteArrayList<>();
    private volatile boolean armed;
    private final IoHooks hooks = new IoHooks() {
        @Override
        public void beforeWrite(Path file) {
            if (armed) {
                touched.add(file);
            }
        }

        @Override
        public void beforeFsync(Path file) {
            if (armed) {
                touched.add(file);
            }
        }
    };
    private final Workers workers = new Workers();
    private RoutingDeliveryAgent routing;
    private MailQueue queue;

    /** One hand-off as a worker would see it: the attempt the queue gave and the key the front sends. */
    record Handed(List<String> recipients, QueuedMessage.Attempt attempt, Optional<HandoffKey> key) {
    }

    /** The delivery workers as the front's routing sees them: records each hand-off, answers per recipient. */
    static final class Workers implements DeliveryAgent {
        final List<Handed> handed = new CopyOnWriteArrayList<>();
        volatile Function<EnvelopeRecipient, DeliveryResult> decide =
                r -> DeliveryResult.delivered(r, "250 2.0.0 delivered", Optional.of("worker-1"));
        volatile boolean throwing;
        volatile boolean noneFree;

        @Override
        public CompletableFuture<List<DeliveryResult>> deliver(QueuedMessage message, List<EnvelopeRecipient> recipients) {
            record(message, recipients);
            if (throwing) {
                throw new IllegalStateException("worker pool broken");
            }
            return CompletableFuture.completedFuture(recipients.stream().map(decide).toList());
        }

        @Override
        public Optional<List<DeliveryResult>> deliverBeforeReply(QueuedMessage message, List<EnvelopeRecipient> recipients) {
            if (noneFree) {
                return Optional.empty(); // no worker gave a session in time: nothing was sent
            }
            return DeliveryAgent.super.deliverBeforeReply(message, recipients);
        }

        private void record(QueuedMessage message, List<EnvelopeRecipient> recipients) {
            // As LmtpHandoff keys it: a repeat is marked as such, with the same identity otherwise.
            handed.add(new Handed(recipients.stream().map(r -> r.address().toString()).toList(), message.attempt(),
                    HandoffKey.of(message, message.attempt() == QueuedMessage.Attempt.REPEAT, ORIGIN)));
        }
    }

    @AfterEach
    void close() {
        if (queue != null) {
            queue.close();
        }
        if (routing != null) {
            routing.close();
        }
    }

    private void start() throws Exception {
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        routing = RoutingDeliveryAgent.withLmtpHandOff(dir, workers, Optional.empty(),
                DeliveryConfig.defaults(base.resolve("tmp")), registry);
        queue = MailQueue.start(new QueueConfig(base.resolve("queue"), Duration.ofDays(5)), "front.example.test",
                addr("postmaster@example.test"), registry, Clock.systemUTC(), hooks);
        queue.recovered().get(60, TimeUnit.SECONDS);
        queue.setDirectDelivery(routing); // as MessagePath does for role front with lmtpTargets
        armed = true;
    }

    private Acceptance accept(String... recipients) throws Exception {
        // A sub-second arrival: the key keeps seconds, and the direct and queued attempts must agree on them.
        Envelope envelope = new Envelope(Optional.of(addr("alice@remote.test")),
                Stream.of(recipients).map(r -> EnvelopeRecipient.of(addr(r))).toList(), Envelope.BodyType.SEVEN_BIT,
                false, Optional.empty(), Optional.empty(), new Envelope.SessionTrace("192.0.2.1", "client", "client",
                "ESMTP", Optional.empty(), Optional.empty(), Instant.parse("2026-12-03T19:30:00.987654321Z")));
        IncomingMessage message = queue.sink().open(envelope);
        byte[] bytes = "Subject: t\r\n\r\nbody\r\n".getBytes(StandardCharsets.US_ASCII);
        message.write(bytes, 0, bytes.length);
        return message.commit().get(60, TimeUnit.SECONDS);
    }

    private long filesUnder(String folder) throws IOException {
        try (Stream<Path> files = Files.walk(base.resolve("queue").resolve(folder))) {
            return files.filter(Files::isRegularFile).count();
        }
    }

    @Test
    void aMessageAWorkerTakesNeverTouchesTheFrontsQueue() throws Exception {
        start();
        Acceptance a = accept("bob@example.test", "carol@example.test");

        assertThat(a.outcomes()).hasSize(2).allMatch(o -> o == Acceptance.QUEUED);
        assertThat(workers.handed).as("one LMTP transaction for both mailboxes").singleElement().satisfies(h -> {
            assertThat(h.recipients()).containsExactlyInAnyOrder("bob@example.test", "carol@example.test");
            assertThat(h.attempt()).isEqualTo(QueuedMessage.Attempt.FIRST);
            assertThat(h.key()).hasValueSatisfying(k -> {
                assertThat(k.queueId()).isEqualTo(a.queueId());
                assertThat(k.repeat()).isFalse();
            });
        });
        assertThat(touched).as("queue files written or synced").isEmpty();
        assertThat(filesUnder("messages") + filesUnder("tmp")).isZero();
        assertThat(queue.show(a.queueId())).isEmpty();
    }

    @Test
    void aDeferredRecipientIsQueuedPendingAndRetriedAsARepeatUnderTheSameKey() throws Exception {
        workers.decide = r -> r.address().localPart().equals("bob")
                ? DeliveryResult.delivered(r, "250 2.0.0 delivered", Optional.of("worker-1"))
                : DeliveryResult.deferred(r, EnhancedStatus.of("4.4.2"), "worker died after the final dot");
        start();
        Acceptance a = accept("bob@example.test", "carol@example.test");

        String shown = queue.show(a.queueId()).orElseThrow();
        assertThat(shown).contains("attempts: 1").contains("recipient: <bob@example.test> delivered")
                .contains("recipient: <carol@example.test> pending");
        assertThat(filesUnder("messages")).isEqualTo(2);

        workers.decide = r -> DeliveryResult.delivered(r, "250 2.0.0 delivered", Optional.of("worker-2"));
        queue.setDeliveryAgent(routing);
        Await.until("the queue to retry carol", () -> workers.handed.size() == 2);
        Handed direct = workers.handed.get(0);
        Handed retry = workers.handed.get(1);
        assertThat(retry.recipients()).containsExactly("carol@example.test");
        assertThat(retry.attempt()).isEqualTo(QueuedMessage.Attempt.REPEAT);
        HandoffKey first = direct.key().orElseThrow();
        HandoffKey again = retry.key().orElseThrow();
        assertThat(first.repeat()).isFalse();
        assertThat(again.repeat()).isTrue();
        assertThat(again.wire()).as("the retry carries the direct attempt's identity")
                .isEqualTo(first.wire().replace(":F:", ":R:"));
        // On a worker: the same Maildir name, looked for on any host's copy.
        DeliveryKey onWorkerFirst = DeliveryKey.of(keyed(first)).orElseThrow();
        DeliveryKey onWorkerAgain = DeliveryKey.of(keyed(again)).orElseThrow();
        assertThat(onWorkerAgain.stem(addr("carol@example.test"))).isEqualTo(onWorkerFirst.stem(addr("carol@example.test")));
        assertThat(onWorkerAgain.anyHost()).isTrue();
        assertThat(onWorkerAgain.repeat()).isTrue();
        Await.until("the record to be removed", () -> queue.show(a.queueId()).isEmpty());
    }

    @Test
    void aHandOffThatThrowsLeavesEverythingQueued() throws Exception {
        workers.throwing = true;
        start();
        Acceptance a = accept("bob@example.test", "carol@example.test");

        String shown = queue.show(a.queueId()).orElseThrow();
        assertThat(shown).as("it may have reached a worker: a repeat").contains("attempts: 1")
                .contains("recipient: <bob@example.test> pending").contains("recipient: <carol@example.test> pending");
        assertThat(filesUnder("messages")).isEqualTo(2);
    }

    @Test
    void noFreeWorkerQueuesTheMessageAsAFirstAttempt() throws Exception {
        workers.noneFree = true;
        start();
        Acceptance a = accept("bob@example.test");

        assertThat(queue.show(a.queueId()).orElseThrow()).contains("attempts: 0")
                .contains("recipient: <bob@example.test> pending");
        workers.noneFree = false;
        queue.setDeliveryAgent(routing);
        Await.until("the queue to hand it over", () -> workers.handed.size() == 1);
        assertThat(workers.handed.getFirst().attempt()).isEqualTo(QueuedMessage.Attempt.FIRST);
    }

    @Test
    void aRemoteRecipientLeavesTheWholeMessageToTheQueue() throws Exception {
        start();
        Acceptance a = accept("bob@example.test", "friend@remote.test");

        assertThat(workers.handed).isEmpty();
        assertThat(queue.show(a.queueId()).orElseThrow()).contains("attempts: 0");
    }

    private static QueuedMessage keyed(HandoffKey key) {
        Envelope envelope = new Envelope(Optional.empty(), List.of(EnvelopeRecipient.of(addr("carol@example.test"))),
                Envelope.BodyType.SEVEN_BIT, false, Optional.empty(), Optional.empty(),
                new Envelope.SessionTrace("127.0.0.1", "front", "front", "LMTP", Optional.empty(), Optional.empty(),
                        Instant.now())).withHandoffKey(key);
        return new QueuedMessage("L1", envelope, io.postern.testing.TestContent.of("x"));
    }
}
