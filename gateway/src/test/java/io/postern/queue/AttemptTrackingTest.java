package io.postern.queue;

import static org.assertj.core.api.Assertions.assertThat;

import io.postern.mail.DeliveryResult;
import io.postern.mail.EnhancedStatus;
import io.postern.mail.QueuedMessage.Attempt;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What the queue tells its agent about earlier attempts: the basis of exactly-once local delivery. */
class AttemptTrackingTest {
    @TempDir
    Path dir;

    @Test
    void firstOfferIsFirstARetryIsRepeat() throws Exception {
        QueueFixture.FakeClock clock = new QueueFixture.FakeClock(Instant.now());
        QueueFixture.ScriptedAgent agent = new QueueFixture.ScriptedAgent();
        agent.decide = r -> DeliveryResult.deferred(r, EnhancedStatus.of("4.2.0"), "try later");
        try (MailQueue queue = QueueFixture.stepped(QueueFixture.config(dir), clock)) {
            queue.setDeliveryAgent(agent);
            String id = QueueFixture.accept(queue, QueueFixture.envelopeAt(clock.instant(), "a@example.test",
                    "bob@example.net"), QueueFixture.message("one")).queueId();
            queue.runDue();
            assertThat(queue.show(id).get()).contains("state: deferred");
            assertThat(agent.offers).hasSize(1);
            agent.decide = r -> DeliveryResult.delivered(r, "ok", java.util.Optional.empty());
            clock.advance(Duration.ofHours(1));
            queue.runDue();
            assertThat(queue.show(id)).isEmpty();
        }
        assertThat(agent.offers).extracting(QueueFixture.Offer::attempt).containsExactly(Attempt.FIRST, Attempt.REPEAT);
    }

    @Test
    void aMessageFoundAfterARestartIsRepeatEvenIfNeverAttempted() throws Exception {
        String id;
        try (MailQueue queue = QueueFixture.start(QueueFixture.config(dir), Clock.systemUTC(), IoHooks.NONE)) {
            // no agent: accepted, never attempted (as if the process died while its first attempt ran)
            id = QueueFixture.accept(queue, QueueFixture.envelope("a@example.test", "bob@example.net"),
                    QueueFixture.message("two")).queueId();
        }
        QueueFixture.ScriptedAgent agent = new QueueFixture.ScriptedAgent();
        try (MailQueue queue = QueueFixture.start(QueueFixture.config(dir), Clock.systemUTC(), IoHooks.NONE)) {
            queue.setDeliveryAgent(agent);
            QueueFixture.await("queue.show(id).isEmpty()", () -> queue.show(id).isEmpty());
            String fresh = QueueFixture.accept(queue, QueueFixture.envelope("a@example.test", "carol@example.net"),
                    QueueFixture.message("three")).queueId();
            QueueFixture.await("queue.show(fresh).isEmpty()", () -> queue.show(fresh).isEmpty());
        }
        assertThat(agent.to("bob@example.net")).extracting(QueueFixture.Offer::attempt).containsExactly(Attempt.REPEAT);
        assertThat(agent.to("carol@example.net")).extracting(QueueFixture.Offer::attempt)
                .containsExactly(Attempt.FIRST);
    }
}
