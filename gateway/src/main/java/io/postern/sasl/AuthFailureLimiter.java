package io.postern.sasl;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import java.net.InetAddress;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Counts failed logins per client address over a window, so that password guessing from one
 * address is cut off (SMTP 421 4.7.0 / POP3 -ERR [AUTH]). Bounded in memory by Caffeine.
 * Thread-safe.
 */
public final class AuthFailureLimiter {
    private final int maxFailures;
    private final Cache<InetAddress, AtomicInteger> failures;

    public AuthFailureLimiter(int maxFailures, Duration window) {
        this.maxFailures = maxFailures;
        this.failures = Caffeine.newBuilder().expireAfterWrite(window).maximumSize(100_000).build();
    }

    /** True when this client has used up its failures for the window. */
    public boolean blocked(InetAddress client) {
        AtomicInteger count = failures.getIfPresent(client);
        return count != null && count.get() >= maxFailures;
    }

    public void recordFailure(InetAddress client) {
        failures.get(client, k -> new AtomicInteger()).incrementAndGet();
    }
}
