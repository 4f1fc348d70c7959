package io.postern.outbound;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class DestinationLimiterTest {

    @Test
    void aDestinationOverItsLimitWaitsAndOthersDoNot() throws Exception {
        DestinationLimiter limiter = new DestinationLimiter(2);
        DestinationLimiter.Slot a = limiter.acquire("example.com");
        DestinationLimiter.Slot b = limiter.acquire("example.com");
        AtomicInteger third = new AtomicInteger();
        CountDownLatch done = new CountDownLatch(1);
        Thread.ofVirtual().start(() -> {
            try (DestinationLimiter.Slot c = limiter.acquire("example.com")) {
                third.incrementAndGet();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            done.countDown();
        });
        try (DestinationLimiter.Slot other = limiter.acquire("example.net")) {
            assertThat(done.await(200, TimeUnit.MILLISECONDS)).isFalse();
            assertThat(third).hasValue(0);
        }
        a.close();
        assertThat(done.await(5, TimeUnit.SECONDS)).isTrue();
        assertThat(third).hasValue(1);
        b.close();
        assertThat(limiter.trackedDestinations()).isZero();
    }
}
