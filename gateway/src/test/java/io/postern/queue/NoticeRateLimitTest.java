package io.postern.queue;

import static io.postern.queue.QueueFixture.await;
import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.postern.config.QueueConfig;
import io.postern.mail.DeliveryResult;
import io.postern.mail.EnhancedStatus;
import io.postern.mail.Envelope;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Backscatter brake: bounces to unverified senders are limited per recipient domain; verified ones never. */
class NoticeRateLimitTest {

    @TempDir
    Path dir;

    private static Envelope from(String sender, Optional<String> login) {
        Envelope base = QueueFixture.envelope(sender, "gone@example.net");
        Envelope.SessionTrace t = base.trace();
        return new Envelope(base.sender(), base.recipients(), base.bodyType(), false, Optional.empty(),
                Optional.empty(), new Envelope.SessionTrace("198.51.100.7", "spam.example", "spam.example",
                login.isPresent() ? "ESMTPA" : "ESMTP", login, Optional.empty(), t.arrival(), false));
    }

    @Test
    void unverifiedSendersGetAtMostTheLimitPerDomainThenTheBucketRefills() throws Exception {
        QueueFixture.FakeClock clock = new QueueFixture.FakeClock(Instant.parse("2026-01-01T00:00:00Z"));
        QueueConfig defaults = QueueFixture.config(dir);
        QueueConfig config = new QueueConfig(dir, defaults.maxLifetime(), defaults.retrySchedule(), 16, 20, 5,
                Duration.ofMinutes(10), Duration.ZERO, 64, Duration.ZERO, 32, 50_000, Optional.empty(), 2,
                Duration.ofHours(1));
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        QueueFixture.ScriptedAgent agent = new QueueFixture.ScriptedAgent();
        agent.decide = r -> r.address().domain().equals("example.net")
                ? DeliveryResult.failed(r, EnhancedStatus.of("5.1.1"), "550 5.1.1 user unknown")
                : DeliveryResult.delivered(r, "250 ok", Optional.empty());
        try (MailQueue queue = MailQueue.start(config, "mx.example.test",
                QueueFixture.address("postmaster@example.test"), registry, clock, IoHooks.NONE)) {
            queue.recovered().get();
            queue.setDeliveryAgent(agent);
            for (String sender : List.of("x1@spam.example", "x2@spam.example", "x3@spam.example")) {
                QueueFixture.accept(queue, from(sender, Optional.empty()), QueueFixture.message("spam"));
            }
            // A logged-in sender of the same domain is not a backscatter victim: never limited.
            QueueFixture.accept(queue, from("real@spam.example", Optional.of("real")), QueueFixture.message("mine"));
            // Another domain has its own bucket.
            QueueFixture.accept(queue, from("y@other.example", Optional.empty()), QueueFixture.message("other"));

            await("one notice rate-limited, four queued", () -> rateLimited(registry) == 1 && queued(registry) == 4 && empty());
            assertThat(bouncesTo("spam.example", agent)).hasSize(3).contains("real@spam.example");
            assertThat(bouncesTo("other.example", agent)).containsExactly("y@other.example");

            clock.advance(Duration.ofMinutes(30)); // half the window: one notice's worth refilled
            QueueFixture.accept(queue, from("x4@spam.example", Optional.empty()), QueueFixture.message("later"));
            await("the fifth notice queued", () -> queued(registry) == 5 && empty());
            assertThat(bouncesTo("spam.example", agent)).hasSize(4).contains("x4@spam.example");
            assertThat(rateLimited(registry)).isEqualTo(1);
        }
    }

    private boolean empty() {
        try {
            return QueueFixture.envelopeCount(dir) == 0;
        } catch (Exception e) {
            return false;
        }
    }

    private static List<String> bouncesTo(String domain, QueueFixture.ScriptedAgent agent) {
        return agent.offers.stream().filter(o -> o.recipient().domain().equals(domain) && o.sender().isEmpty())
                .map(o -> o.recipient().toString()).toList();
    }

    private static double rateLimited(SimpleMeterRegistry registry) {
        var c = registry.find("postern.queue.notices").tag("outcome", "rate-limited").counter();
        return c == null ? 0 : c.count();
    }

    private static double queued(SimpleMeterRegistry registry) {
        return registry.find("postern.queue.notices").tag("outcome", "queued").counters().stream()
                .mapToDouble(c -> c.count()).sum();
    }
}
