package io.postern.queue;

import static org.assertj.core.api.Assertions.assertThat;

import io.postern.config.QueueConfig;
import io.postern.mail.DeliveryResult;
import io.postern.mail.EnhancedStatus;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 16, "a directory failure is not a destination failure": a deferral because the directory
 * could not answer never feeds the destination's backoff, and the mail it deferred goes as soon as
 * the directory answers again, not at its next retry slot. Driven by the step function: no waits.
 */
class DirectoryDeferralTest {
    private static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");

    @TempDir
    Path dir;

    /** Backoff after 2 failures, for 10 minutes; retries 10 minutes apart. */
    private QueueConfig config() {
        return new QueueConfig(dir, Duration.ofDays(5), List.of(Duration.ofMinutes(10)), 16, 20, 2,
                Duration.ofMinutes(10), Duration.ZERO, 64, Duration.ZERO, 32, 50_000, Optional.empty());
    }

    @Test
    void directoryDeferralsNeverPutTheDestinationIntoBackoff() throws Exception {
        QueueFixture.FakeClock clock = new QueueFixture.FakeClock(T0);
        QueueFixture.ScriptedAgent agent = new QueueFixture.ScriptedAgent();
        agent.decide = r -> DeliveryResult.directoryUnavailable(r, r.address() + ": directory unavailable");
        try (MailQueue queue = QueueFixture.stepped(config(), clock)) {
            queue.setDeliveryAgent(agent);
            for (int i = 0; i < 5; i++) { // well past the threshold of 2
                QueueFixture.accept(queue, QueueFixture.envelopeAt(T0, "alice@example.test", "u" + i + "@example.com"),
                        "x\r\n");
                queue.runDue();
            }
            assertThat(agent.offers).hasSize(5);
            agent.decide = r -> DeliveryResult.delivered(r, "delivered to mailbox", Optional.empty());
            String next = QueueFixture.accept(queue, QueueFixture.envelopeAt(T0, "alice@example.test",
                    "late@example.com"), "x\r\n").queueId();
            queue.runDue();
            assertThat(agent.to("late@example.com")).as("example.com is not backing off").hasSize(1);
            assertThat(queue.show(next)).isEmpty();
        }
    }

    @Test
    void destinationDeferralsStillDo() throws Exception {
        QueueFixture.FakeClock clock = new QueueFixture.FakeClock(T0);
        QueueFixture.ScriptedAgent agent = new QueueFixture.ScriptedAgent();
        agent.decide = r -> DeliveryResult.deferred(r, EnhancedStatus.of("4.4.1"), "connection refused");
        try (MailQueue queue = QueueFixture.stepped(config(), clock)) {
            queue.setDeliveryAgent(agent);
            for (int i = 0; i < 3; i++) {
                QueueFixture.accept(queue, QueueFixture.envelopeAt(T0, "alice@example.test", "u" + i + "@example.com"),
                        "x\r\n");
                queue.runDue();
            }
            assertThat(agent.offers).as("the third waits for the backoff").hasSize(2);
        }
    }

    @Test
    void mailDeferredForTheDirectoryGoesAsSoonAsItAnswersAgain() throws Exception {
        QueueFixture.FakeClock clock = new QueueFixture.FakeClock(T0);
        QueueFixture.ScriptedAgent agent = new QueueFixture.ScriptedAgent();
        agent.decide = r -> r.address().domain().equals("example.com")
                ? DeliveryResult.directoryUnavailable(r, r.address() + ": directory unavailable")
                : DeliveryResult.deferred(r, EnhancedStatus.of("4.4.1"), "connection refused");
        try (MailQueue queue = QueueFixture.stepped(config(), clock)) {
            queue.setDeliveryAgent(agent);
            String local = QueueFixture.accept(queue, QueueFixture.envelopeAt(T0, "alice@example.test",
                    "bob@example.com"), "x\r\n").queueId();
            String remote = QueueFixture.accept(queue, QueueFixture.envelopeAt(T0, "alice@example.test",
                    "carol@example.net"), "x\r\n").queueId();
            assertThat(queue.runDue()).isEqualTo(2);
            assertThat(queue.show(local).get()).contains("4.4.3").contains("next-attempt: 2026-01-01T00:10:00Z");

            clock.advance(Duration.ofSeconds(3)); // the directory is back long before the retry slot
            agent.decide = r -> DeliveryResult.delivered(r, "delivered to mailbox", Optional.empty());
            assertThat(queue.runDue()).isZero();
            assertThat(queue.directoryAnswers()).as("only the message deferred for the directory").isEqualTo(1);
            assertThat(queue.runDue()).isEqualTo(1);
            assertThat(agent.to("bob@example.com")).hasSize(2);
            assertThat(queue.show(local)).as("delivered, not waiting for 00:10").isEmpty();
            assertThat(agent.to("carol@example.net")).as("a destination deferral keeps its slot").hasSize(1);
            assertThat(queue.show(remote)).isPresent();

            // The retry slot of the message already delivered comes and goes without an offer.
            clock.advance(Duration.ofMinutes(10));
            queue.runDue();
            assertThat(agent.to("bob@example.com")).hasSize(2);
            assertThat(queue.directoryAnswers()).isZero();
        }
    }
}
