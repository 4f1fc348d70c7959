package io.postern.queue;

import java.time.Clock;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Backscatter brake: at most {@code limit} notices per recipient domain in any {@code window}
 * (a token bucket per domain: full at {@code limit}, refilled evenly over the window, so a burst
 * of {@code limit} passes and then one more every {@code window / limit}). A limit of 0 turns it
 * off. Memory is bounded: only the {@value #MAX_DOMAINS} domains used most recently are
 * remembered; a forgotten one starts again with a full bucket. Thread-safe.
 */
final class NoticeRateLimiter {
    static final int MAX_DOMAINS = 10_000;

    private final int limit;
    private final double nanosPerToken;
    private final Clock clock;
    private final Map<String, Bucket> buckets = new LinkedHashMap<>(256, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Bucket> eldest) {
            return size() > MAX_DOMAINS;
        }
    };

    private static final class Bucket {
        double tokens;
        long refilledAt;
    }

    NoticeRateLimiter(int limit, Duration window, Clock clock) {
        this.limit = limit;
        this.nanosPerToken = limit == 0 ? 0 : (double) window.toNanos() / limit;
        this.clock = clock;
    }

    /** Takes one notice for {@code domain}; false when the domain has had its share for now. */
    synchronized boolean tryAcquire(String domain) {
        if (limit == 0) {
            return true;
        }
        long now = nanos();
        Bucket b = buckets.get(domain);
        if (b == null) {
            b = new Bucket();
            b.tokens = limit;
            b.refilledAt = now;
            buckets.put(domain, b);
        }
        if (now > b.refilledAt) {
            b.tokens = Math.min(limit, b.tokens + (now - b.refilledAt) / nanosPerToken);
            b.refilledAt = now;
        }
        if (b.tokens < 1) {
            return false;
        }
        b.tokens -= 1;
        return true;
    }

    private long nanos() {
        var instant = clock.instant();
        return instant.getEpochSecond() * 1_000_000_000L + instant.getNano();
    }
}
