package io.postern.queue;

import static org.assertj.core.api.Assertions.assertThat;

import io.postern.mail.Acceptance;
import io.postern.mail.DeliveryResult;
import io.postern.mail.DirectDelivery;
import io.postern.mail.EnhancedStatus;
import io.postern.mail.EnvelopeRecipient;
import io.postern.mail.QueuedMessage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Role all: a message whose recipients are all local reaches the spools before the reply, without queue files. */
class DirectDeliveryTest {
    @TempDir
    Path dir;

    /** Delivers through a scripted agent, or declines (a remote target) when {@code declines}. */
    private static final class Direct implements DirectDelivery {
        final QueueFixture.ScriptedAgent agent = new QueueFixture.ScriptedAgent();
        volatile boolean declines;

        @Override
        public CompletableFuture<Optional<List<DeliveryResult>>> deliverIfLocal(QueuedMessage message,
                                                                                List<EnvelopeRecipient> recipients) {
            if (declines) {
                return CompletableFuture.completedFuture(Optional.empty());
            }
            return agent.deliver(message, recipients).thenApply(Optional::of);
        }
    }

    private long queueFiles() throws IOException {
        try (Stream<Path> files = Files.list(dir.resolve("messages"))) {
            return files.count();
        }
    }

    @Test
    void allDeliveredLeavesNoQueueFilesAndTheQueueNeverOffersIt() throws Exception {
        QueueFixture.FakeClock clock = new QueueFixture.FakeClock(Instant.now());
        QueueFixture.ScriptedAgent queued = new QueueFixture.ScriptedAgent();
        Direct direct = new Direct();
        try (MailQueue queue = QueueFixture.stepped(QueueFixture.config(dir), clock)) {
            queue.setDeliveryAgent(queued);
            queue.setDirectDelivery(direct);
            Acceptance a = QueueFixture.accept(queue, QueueFixture.envelopeAt(clock.instant(), "a@example.test",
                    "bob@example.test", "carol@example.test"), QueueFixture.message("direct"));
            assertThat(a.outcomes()).hasSize(2).allMatch(o -> o == Acceptance.QUEUED);
            assertThat(direct.agent.offers).hasSize(2)
                    .allMatch(o -> o.attempt() == QueuedMessage.Attempt.FIRST && o.queueId().equals(a.queueId())
                            && o.content().contains("Subject: direct"));
            assertThat(queueFiles()).isZero();
            assertThat(Files.list(dir.resolve("tmp")).count()).isZero();
            assertThat(queue.runDue()).isZero();
            assertThat(queued.offers).isEmpty();
        }
    }

    @Test
    void aDeclinedMessageIsQueuedWhole() throws Exception {
        QueueFixture.FakeClock clock = new QueueFixture.FakeClock(Instant.now());
        QueueFixture.ScriptedAgent queued = new QueueFixture.ScriptedAgent();
        Direct direct = new Direct();
        direct.declines = true;
        try (MailQueue queue = QueueFixture.stepped(QueueFixture.config(dir), clock)) {
            queue.setDeliveryAgent(queued);
            queue.setDirectDelivery(direct);
            String id = QueueFixture.accept(queue, QueueFixture.envelopeAt(clock.instant(), "a@example.test",
                    "bob@example.net"), QueueFixture.message("remote")).queueId();
            assertThat(queueFiles()).isEqualTo(2);
            assertThat(queue.runDue()).isEqualTo(1);
            assertThat(queued.offers).singleElement().satisfies(o -> {
                assertThat(o.queueId()).isEqualTo(id);
                assertThat(o.attempt()).isEqualTo(QueuedMessage.Attempt.FIRST);
                assertThat(o.content()).contains("Subject: remote");
            });
            assertThat(queueFiles()).isZero();
        }
    }

    @Test
    void whatIsLeftIsQueuedAndOfferedAgainAsARepeatWithoutTheDeliveredRecipient() throws Exception {
        QueueFixture.FakeClock clock = new QueueFixture.FakeClock(Instant.now());
        QueueFixture.ScriptedAgent queued = new QueueFixture.ScriptedAgent();
        Direct direct = new Direct();
        direct.agent.decide = r -> r.address().localPart().equals("bob")
                ? DeliveryResult.delivered(r, "delivered to mailbox", Optional.empty())
                : DeliveryResult.deferred(r, EnhancedStatus.of("4.2.1"), "mailbox busy");
        try (MailQueue queue = QueueFixture.stepped(QueueFixture.config(dir), clock)) {
            queue.setDeliveryAgent(queued);
            queue.setDirectDelivery(direct);
            String id = QueueFixture.accept(queue, QueueFixture.envelopeAt(clock.instant(), "a@example.test",
                    "bob@example.test", "carol@example.test"), QueueFixture.message("partly")).queueId();
            assertThat(queueFiles()).isEqualTo(2);
            assertThat(queue.show(id).orElseThrow()).contains("carol@example.test");
            clock.advance(Duration.ofSeconds(1));
            assertThat(queue.runDue()).isEqualTo(1);
            assertThat(queued.offers).singleElement().satisfies(o -> {
                assertThat(o.recipient().toString()).isEqualTo("carol@example.test");
                assertThat(o.attempt()).isEqualTo(QueuedMessage.Attempt.REPEAT);
                assertThat(o.content()).contains("Subject: partly");
            });
            assertThat(queueFiles()).isZero();
        }
    }

    @Test
    void aMessageLargerThanTheBufferTakesTheQueue() throws Exception {
        QueueFixture.FakeClock clock = new QueueFixture.FakeClock(Instant.now());
        QueueFixture.ScriptedAgent queued = new QueueFixture.ScriptedAgent();
        Direct direct = new Direct();
        try (MailQueue queue = QueueFixture.stepped(QueueFixture.config(dir), clock)) {
            queue.setDeliveryAgent(queued);
            queue.setDirectDelivery(direct);
            String big = QueueFixture.message("big") + "x".repeat(70_000) + "\r\n";
            QueueFixture.accept(queue, QueueFixture.envelopeAt(clock.instant(), "a@example.test", "bob@example.test"), big);
            assertThat(direct.agent.offers).isEmpty();
            assertThat(queue.runDue()).isEqualTo(1);
            assertThat(queued.offers).singleElement().satisfies(o -> assertThat(o.content()).hasSize(big.length()));
        }
    }
}
