package io.postern.smtp.inbound.policy;

import java.net.InetAddress;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Counts open SMTP/LMTP sessions, in total and per client address, shared by every listener of
 * a node. {@link #tryAcquire} refuses past either limit (the session answers 421 4.7.0 and
 * closes). Thread-safe; memory bounded by the number of open connections.
 */
public final class ConnectionLimits {
    private final int maxTotal;
    private final int maxPerClient;
    private final AtomicInteger total = new AtomicInteger();
    private final ConcurrentHashMap<InetAddress, AtomicInteger> perClient = new ConcurrentHashMap<>();

    public ConnectionLimits(int maxTotal, int maxPerClient) {
        this.maxTotal = maxTotal;
        this.maxPerClient = maxPerClient;
    }

    /** True when the connection may proceed; then {@link #release} must be called exactly once. */
    public boolean tryAcquire(InetAddress client) {
        if (total.incrementAndGet() > maxTotal) {
            total.decrementAndGet();
            return false;
        }
        boolean[] allowed = {false};
        perClient.compute(client, (k, count) -> {
            AtomicInteger c = count == null ? new AtomicInteger() : count;
            if (c.get() < maxPerClient) {
                c.incrementAndGet();
                allowed[0] = true;
            }
            return c.get() == 0 ? null : c;
        });
        if (!allowed[0]) {
            total.decrementAndGet();
        }
        return allowed[0];
    }

    public void release(InetAddress client) {
        total.decrementAndGet();
        perClient.computeIfPresent(client, (k, c) -> c.decrementAndGet() <= 0 ? null : c);
    }

    public int open() {
        return total.get();
    }
}
