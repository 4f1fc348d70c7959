package io.postern.queue;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;

class NoticeRateLimiterTest {
    private final QueueFixture.FakeClock clock = new QueueFixture.FakeClock(Instant.parse("2026-01-01T00:00:00Z"));

    @Test
    void aBurstOfTheLimitThenOnePerWindowShareDomainByDomain() {
        NoticeRateLimiter limiter = new NoticeRateLimiter(3, Duration.ofHours(1), clock);
        for (int i = 0; i < 3; i++) {
            assertThat(limiter.tryAcquire("a.example")).isTrue();
        }
        assertThat(limiter.tryAcquire("a.example")).isFalse();
        assertThat(limiter.tryAcquire("b.example")).isTrue();
        clock.advance(Duration.ofMinutes(19));
        assertThat(limiter.tryAcquire("a.example")).isFalse();
        clock.advance(Duration.ofMinutes(1)); // 20 minutes: one third of the window, one notice
        assertThat(limiter.tryAcquire("a.example")).isTrue();
        assertThat(limiter.tryAcquire("a.example")).isFalse();
        clock.advance(Duration.ofDays(1)); // never more than the burst
        for (int i = 0; i < 3; i++) {
            assertThat(limiter.tryAcquire("a.example")).isTrue();
        }
        assertThat(limiter.tryAcquire("a.example")).isFalse();
    }

    @Test
    void zeroIsNoLimit() {
        NoticeRateLimiter limiter = new NoticeRateLimiter(0, Duration.ofHours(1), clock);
        for (int i = 0; i < 10_000; i++) {
            assertThat(limiter.tryAcquire("a.example")).isTrue();
        }
    }

    @Test
    void memoryIsBoundedByForgettingTheDomainsLeastRecentlyUsed() {
        NoticeRateLimiter limiter = new NoticeRateLimiter(1, Duration.ofHours(1), clock);
        assertThat(limiter.tryAcquire("first.example")).isTrue();
        assertThat(limiter.tryAcquire("first.example")).isFalse();
        for (int i = 0; i < NoticeRateLimiter.MAX_DOMAINS; i++) {
            limiter.tryAcquire("d" + i + ".example");
        }
        // Forgotten, so it starts again with a full bucket; the recent ones are still limited.
        assertThat(limiter.tryAcquire("first.example")).isTrue();
        assertThat(limiter.tryAcquire("d" + (NoticeRateLimiter.MAX_DOMAINS - 1) + ".example")).isFalse();
    }
}
