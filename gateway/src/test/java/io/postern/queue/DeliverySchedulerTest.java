package io.postern.queue;

import static io.postern.queue.QueueFixture.await;
import static io.postern.queue.QueueFixture.settle;
import static org.assertj.core.api.Assertions.assertThat;

import io.postern.config.QueueConfig;
import io.postern.mail.Acceptance;
import io.postern.mail.DeliveryAgent;
import io.postern.mail.DeliveryResult;
import io.postern.mail.EnhancedStatus;
import io.postern.mail.EnvelopeRecipient;
import io.postern.mail.QueuedMessage;
import io.postern.testing.Await;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DeliverySchedulerTest {
    private static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");

    @TempDir
    Path dir;

    private QueueConfig config(List<Duration> schedule, Duration lifetime, Duration delayNotice, int threshold,
                               int perDestination) {
        return new QueueConfig(dir, lifetime, schedule, 16, perDestination, threshold, Duration.ofMinutes(10),
                delayNotice, 64, Duration.ZERO, 32, 50_000, Optional.empty());
    }

    @Test
    void deliveryStartsAtOnceAndDeliveredMessagesLeave() throws Exception {
        QueueFixture.ScriptedAgent agent = new QueueFixture.ScriptedAgent();
        try (MailQueue queue = QueueFixture.stepped(QueueFixture.config(dir), Clock.systemUTC())) {
            queue.setDeliveryAgent(agent);
            Acceptance a = QueueFixture.accept(queue,
                    QueueFixture.envelope("alice@example.test", "bob@example.net", "carol@example.org"),
                    QueueFixture.message("hi"));
            assertThat(queue.runDue()).isEqualTo(1);
            assertThat(agent.offers).hasSize(2);
            assertThat(queue.show(a.queueId())).isEmpty();
            assertThat(agent.offers.get(0).content()).contains("Subject: hi");
            assertThat(agent.offers).allMatch(o -> o.queueId().equals(a.queueId()));
            assertThat(QueueFixture.envelopeCount(dir)).isZero();
        }
    }

    @Test
    void withoutAgentMessagesWaitThenGoWhenOneIsSet() throws Exception {
        QueueFixture.ScriptedAgent agent = new QueueFixture.ScriptedAgent();
        try (MailQueue queue = QueueFixture.stepped(QueueFixture.config(dir), Clock.systemUTC())) {
            Acceptance a = QueueFixture.accept(queue, QueueFixture.envelope("alice@example.test", "bob@example.net"),
                    QueueFixture.message("wait"));
            assertThat(queue.runDue()).isZero();
            assertThat(queue.show(a.queueId())).get().asString().contains("attempts: 0");
            queue.setDeliveryAgent(agent);
            queue.runDue();
            assertThat(queue.show(a.queueId())).isEmpty();
            assertThat(agent.offers).hasSize(1);
        }
    }

    @Test
    void backoffFollowsTheScheduleThenDelayNoticeThenExpiryBounce() throws Exception {
        QueueFixture.FakeClock clock = new QueueFixture.FakeClock(T0);
        QueueFixture.ScriptedAgent agent = new QueueFixture.ScriptedAgent();
        agent.decide = r -> r.address().domain().equals("example.net")
                ? DeliveryResult.deferred(r, EnhancedStatus.of("4.4.1"), "connect to mx.example.net: Connection refused")
                : DeliveryResult.delivered(r, "250 ok", Optional.empty());
        QueueConfig config = config(List.of(Duration.ofMinutes(1), Duration.ofMinutes(10)), Duration.ofHours(1),
                Duration.ofMinutes(20), 1000, 20);
        try (MailQueue queue = QueueFixture.stepped(config, clock)) {
            queue.setDeliveryAgent(agent);
            Acceptance a = QueueFixture.accept(queue, QueueFixture.envelopeAt(T0, "alice@example.test", "bob@example.net"),
                    QueueFixture.message("retry me"));
            String id = a.queueId();
            queue.runDue();
            assertThat(agent.to("bob@example.net")).hasSize(1);
            assertThat(queue.show(id).get()).contains("state: deferred");
            assertThat(queue.show(id).get()).contains("attempts: 1").contains("next-attempt: 2026-01-01T00:01:00Z")
                    .contains("4.4.1");

            clock.advance(Duration.ofSeconds(59));
            assertThat(queue.runDue()).isZero();
            assertThat(agent.to("bob@example.net")).hasSize(1);

            clock.advance(Duration.ofSeconds(1));
            assertThat(queue.runDue()).isEqualTo(1);
            assertThat(agent.to("bob@example.net")).hasSize(2);
            assertThat(queue.show(id).get()).contains("attempts: 2");
            assertThat(queue.show(id).get()).contains("next-attempt: 2026-01-01T00:11:00Z");

            clock.advance(Duration.ofMinutes(10)); // 00:11, third attempt; the last delay repeats
            queue.runDue();
            assertThat(queue.show(id).get()).contains("attempts: 3");
            assertThat(queue.show(id).get()).contains("next-attempt: 2026-01-01T00:21:00Z");
            assertThat(agent.to("alice@example.test")).isEmpty();

            clock.advance(Duration.ofMinutes(10)); // 00:21: older than delayNotice (20m)
            assertThat(queue.runDue()).isEqualTo(2); // the attempt, then the delay notice it enqueued
            assertThat(agent.to("alice@example.test")).hasSize(1);
            QueueFixture.Offer delay = agent.to("alice@example.test").get(0);
            assertThat(delay.sender()).isEmpty();
            assertThat(delay.content()).contains("Action: delayed").contains("Will-Retry-Until:");

            clock.advance(Duration.ofMinutes(30)); // 00:51
            queue.runDue();
            assertThat(queue.show(id).get()).contains("attempts: 5");
            assertThat(queue.show(id).get()).contains("next-attempt: 2026-01-01T01:00:00Z"); // capped at expiry
            int offersBefore = agent.to("bob@example.net").size();

            clock.advance(Duration.ofMinutes(9));
            queue.runDue();
            assertThat(queue.show(id)).isEmpty();
            assertThat(agent.to("alice@example.test")).hasSize(2);
            assertThat(agent.to("bob@example.net")).hasSize(offersBefore); // expired, not tried again
            QueueFixture.Offer bounce = agent.to("alice@example.test").get(1);
            assertThat(bounce.sender()).isEmpty();
            assertThat(bounce.content()).contains("Action: failed").contains("Status: 4.4.7")
                    .contains("Final-Recipient: rfc822; bob@example.net").contains("Subject: retry me");
        }
    }

    @Test
    void aDeadDestinationBacksOffWithoutHoldingUpOthers() throws Exception {
        QueueFixture.FakeClock clock = new QueueFixture.FakeClock(T0);
        QueueFixture.ScriptedAgent agent = new QueueFixture.ScriptedAgent();
        agent.decide = r -> r.address().domain().equals("dead.example")
                ? DeliveryResult.deferred(r, EnhancedStatus.of("4.4.1"), "no route") : DeliveryResult.delivered(r, "ok", Optional.empty());
        QueueConfig config = config(List.of(Duration.ofMinutes(1)), Duration.ofDays(5), Duration.ZERO, 2, 20);
        try (MailQueue queue = QueueFixture.stepped(config, clock)) {
            queue.setDeliveryAgent(agent);
            QueueFixture.accept(queue, QueueFixture.envelopeAt(T0, "alice@example.test", "a@dead.example"), "x\r\n");
            queue.runDue();
            assertThat(agent.to("a@dead.example")).hasSize(1);
            QueueFixture.accept(queue, QueueFixture.envelopeAt(T0, "alice@example.test", "b@dead.example"), "x\r\n");
            queue.runDue();
            assertThat(agent.to("b@dead.example")).hasSize(1);
            // Two failures in a row: dead.example now backs off for 10 minutes.
            Acceptance third = QueueFixture.accept(queue,
                    QueueFixture.envelopeAt(T0, "alice@example.test", "c@dead.example"), "x\r\n");
            QueueFixture.accept(queue, QueueFixture.envelopeAt(T0, "alice@example.test", "d@alive.example"), "x\r\n");
            queue.runDue();
            assertThat(agent.to("d@alive.example")).hasSize(1);
            assertThat(agent.to("c@dead.example")).isEmpty();
            assertThat(queue.show(third.queueId()).get()).contains("attempts: 0");

            clock.advance(Duration.ofMinutes(9));
            queue.runDue();
            assertThat(agent.to("c@dead.example")).isEmpty();

            // Backoff over: one probe at a time; it fails again, so the others wait another 10 minutes.
            clock.advance(Duration.ofMinutes(1));
            queue.runDue();
            assertThat(agent.to("a@dead.example").size() + agent.to("b@dead.example").size()
                    + agent.to("c@dead.example").size()).isEqualTo(3);

            agent.decide = r -> DeliveryResult.delivered(r, "ok", Optional.empty());
            clock.advance(Duration.ofMinutes(10));
            queue.runDue();
            assertThat(agent.to("c@dead.example")).hasSize(1);
            assertThat(queue.show(third.queueId())).isEmpty();
            assertThat(QueueFixture.envelopeCount(dir)).isZero();
        }
    }

    @Test
    void perDestinationConcurrencyIsALimit() throws Exception {
        List<CompletableFuture<Void>> open = new CopyOnWriteArrayList<>();
        DeliveryAgent slow = (QueuedMessage message, List<EnvelopeRecipient> recipients) -> {
            CompletableFuture<Void> gate = new CompletableFuture<>();
            open.add(gate);
            return gate.thenApply(ignored -> recipients.stream()
                    .map(r -> DeliveryResult.delivered(r, "ok", Optional.empty())).toList());
        };
        QueueConfig config = config(List.of(Duration.ofMinutes(1)), Duration.ofDays(5), Duration.ZERO, 5, 2);
        try (MailQueue queue = QueueFixture.start(config, Clock.systemUTC(), IoHooks.NONE)) {
            queue.setDeliveryAgent(slow);
            for (int i = 0; i < 5; i++) {
                QueueFixture.accept(queue, QueueFixture.envelope("alice@example.test", "u" + i + "@busy.example"),
                        "x\r\n");
            }
            QueueFixture.accept(queue, QueueFixture.envelope("alice@example.test", "z@other.example"), "x\r\n");
            await("open.size() == 3", () -> open.size() == 3); // two for busy.example, one for other.example
            settle(queue, 3);
            assertThat(open).hasSize(3);
            open.forEach(f -> f.complete(null));
            await("open.size() == 5", () -> open.size() == 5);
            settle(queue, 2);
            assertThat(open).hasSize(5);
            open.forEach(f -> f.complete(null));
            await("open.size() == 6", () -> open.size() == 6);
            open.forEach(f -> f.complete(null));
            await("no envelope left", () -> QueueFixture.envelopeCountUnchecked(dir) == 0);
        }
    }

    @Test
    void nullSenderIsNeverBouncedButThePostmasterHears() throws Exception {
        QueueFixture.ScriptedAgent agent = new QueueFixture.ScriptedAgent();
        agent.decide = r -> r.address().localPart().equals("postmaster")
                ? DeliveryResult.failed(r, EnhancedStatus.of("5.1.1"), "550 no postmaster either")
                : DeliveryResult.failed(r, EnhancedStatus.of("5.1.1"), "550 5.1.1 user unknown");
        try (MailQueue queue = QueueFixture.stepped(QueueFixture.config(dir), Clock.systemUTC())) {
            queue.setDeliveryAgent(agent);
            QueueFixture.accept(queue, QueueFixture.envelope("", "gone@example.net"), QueueFixture.message("bounce"));
            assertThat(queue.runDue()).isEqualTo(2); // the message, then the postmaster's notice
            assertThat(agent.to("postmaster@example.test")).hasSize(1);
            assertThat(QueueFixture.envelopeCount(dir)).isZero();
            // the postmaster notice failed too: dropped, no loop
            assertThat(agent.offers).hasSize(2);
            assertThat(agent.to("postmaster@example.test").get(0).content()).contains("gone@example.net");
        }
    }

    @Test
    void notifyNeverMeansNoBounceAndSuccessMeansAReport() throws Exception {
        QueueFixture.ScriptedAgent agent = new QueueFixture.ScriptedAgent();
        agent.decide = r -> r.address().localPart().equals("gone")
                ? DeliveryResult.failed(r, EnhancedStatus.of("5.1.1"), "550 5.1.1 user unknown")
                : DeliveryResult.delivered(r, "250 ok", Optional.of("mx.example.net"));
        var base = QueueFixture.envelope("alice@example.test", "gone@example.net");
        var never = new io.postern.mail.Envelope(base.sender(), List.of(new EnvelopeRecipient(
                QueueFixture.address("gone@example.net"), java.util.Set.of(EnvelopeRecipient.DsnNotify.NEVER),
                Optional.empty()), new EnvelopeRecipient(QueueFixture.address("here@example.net"),
                java.util.Set.of(EnvelopeRecipient.DsnNotify.SUCCESS), Optional.empty())),
                base.bodyType(), false, Optional.empty(), Optional.empty(), base.trace());
        try (MailQueue queue = QueueFixture.stepped(QueueFixture.config(dir), Clock.systemUTC())) {
            queue.setDeliveryAgent(agent);
            QueueFixture.accept(queue, never, QueueFixture.message("dsn"));
            queue.runDue();
            assertThat(agent.to("alice@example.test")).hasSize(1);
            assertThat(agent.to("alice@example.test").get(0).content()).contains("Action: delivered")
                    .contains("Final-Recipient: rfc822; here@example.net").doesNotContain("gone@example.net");
        }
    }

    @Test
    void restartFindsDeferredMessagesAndDoesNotRepeatDeliveredRecipients() throws Exception {
        QueueFixture.FakeClock clock = new QueueFixture.FakeClock(T0);
        QueueFixture.ScriptedAgent agent = new QueueFixture.ScriptedAgent();
        agent.decide = r -> r.address().domain().equals("slow.example")
                ? DeliveryResult.deferred(r, EnhancedStatus.of("4.4.1"), "later") : DeliveryResult.delivered(r, "ok", Optional.empty());
        String id;
        try (MailQueue queue = QueueFixture.stepped(QueueFixture.config(dir), clock)) {
            queue.setDeliveryAgent(agent);
            id = QueueFixture.accept(queue, QueueFixture.envelopeAt(T0, "alice@example.test", "a@fast.example",
                    "b@slow.example"), "x\r\n").queueId();
            queue.runDue();
            assertThat(queue.show(id).get()).contains("attempts: 1");
        }
        agent.decide = r -> DeliveryResult.delivered(r, "ok", Optional.empty());
        clock.advance(Duration.ofMinutes(1));
        try (MailQueue queue = QueueFixture.stepped(QueueFixture.config(dir), clock)) {
            queue.setDeliveryAgent(agent);
            assertThat(queue.runDue()).isEqualTo(1);
            assertThat(queue.show(id)).isEmpty();
        }
        assertThat(agent.to("a@fast.example")).hasSize(1);
        assertThat(agent.to("b@slow.example")).hasSize(2);
    }

    @Test
    void aFastDomainIsRecordedWhileASlowOneIsStillRunning() throws Exception {
        CompletableFuture<Void> slowGate = new CompletableFuture<>();
        DeliveryAgent agent = (QueuedMessage message, List<EnvelopeRecipient> recipients) -> {
            CompletableFuture<Void> gate = recipients.get(0).address().domain().equals("slow.example")
                    ? slowGate : CompletableFuture.completedFuture(null);
            return gate.thenApply(ignored -> recipients.stream()
                    .map(r -> DeliveryResult.delivered(r, "ok", Optional.empty())).toList());
        };
        try (MailQueue queue = QueueFixture.start(QueueFixture.config(dir), Clock.systemUTC(), IoHooks.NONE)) {
            queue.setDeliveryAgent(agent);
            String id = QueueFixture.accept(queue, QueueFixture.envelope("alice@example.test", "a@fast.example",
                    "b@slow.example"), "x\r\n").queueId();
            // On disk (what a restart would read), not just in memory.
            Path env = dir.resolve("messages").resolve(id + ".env");
            Await.untilNoException("a@fast.example recorded as delivered", () -> java.nio.file.Files.readString(env)
                    .contains("rcpt=a@fast.example;notify=;orcpt=;orcpt-present=false;state=DELIVERED"));
            assertThat(java.nio.file.Files.readString(env)).contains("rcpt=b@slow.example;notify=;orcpt=;"
                    + "orcpt-present=false;state=PENDING");
            slowGate.complete(null);
            await("queue.show(id).isEmpty()", () -> queue.show(id).isEmpty());
        }
    }
}
