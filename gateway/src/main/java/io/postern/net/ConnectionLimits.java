package io.postern.net;

import io.postern.config.ListenerConfig;
import io.postern.config.ListenerKind;
import java.net.InetAddress;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Counts open connections per listener, in total and per client address, so that a flood on one
 * port never refuses another. Each listener's caps are its own {@code maxConnections} /
 * {@code maxConnectionsPerClient}, else the protocol's defaults given here ({@code smtp.*} for
 * the SMTP family, {@code pop3.*} for POP3). {@link #stage} is the pipeline stage that applies
 * them. Thread-safe; memory bounded by the listeners and the open connections.
 */
public final class ConnectionLimits {
    private final int defaultTotal;
    private final int defaultPerClient;
    private final int lmtpPerClient;
    private final ConcurrentHashMap<String, Counts> listeners = new ConcurrentHashMap<>();

    public ConnectionLimits(int defaultTotal, int defaultPerClient) {
        this(defaultTotal, defaultPerClient, defaultPerClient);
    }

    /**
     * {@code lmtpPerClient}: the per-client default of LMTP listeners, sized for the front tier
     * ({@code delivery.lmtpMaxConnectionsPerClient}): a few front nodes open many sessions each,
     * outside clients of SMTP keep {@code defaultPerClient}.
     */
    public ConnectionLimits(int defaultTotal, int defaultPerClient, int lmtpPerClient) {
        this.defaultTotal = defaultTotal;
        this.defaultPerClient = defaultPerClient;
        this.lmtpPerClient = lmtpPerClient;
    }

    /** The stage of one new connection on {@code listener}; {@code refusal} is the protocol's line (with CRLF). */
    public ConnectionLimitStage stage(ListenerConfig listener, String refusal) {
        return new ConnectionLimitStage(this, listener, refusal);
    }

    /** True when the connection may proceed; then {@link #release} must be called exactly once. */
    public boolean tryAcquire(ListenerConfig listener, InetAddress client) {
        return counts(listener).tryAcquire(client);
    }

    public void release(ListenerConfig listener, InetAddress client) {
        counts(listener).release(client);
    }

    /** Open connections on one listener. */
    public int open(ListenerConfig listener) {
        return counts(listener).total.get();
    }

    private Counts counts(ListenerConfig listener) {
        return listeners.computeIfAbsent(listener.name(), name -> new Counts(
                listener.maxConnections().orElse(defaultTotal),
                listener.maxConnectionsPerClient().orElse(
                        listener.kind() == ListenerKind.LMTP ? lmtpPerClient : defaultPerClient)));
    }

    /** The counters of one listener. */
    private static final class Counts {
        private final int maxTotal;
        private final int maxPerClient;
        private final AtomicInteger total = new AtomicInteger();
        private final ConcurrentHashMap<InetAddress, AtomicInteger> perClient = new ConcurrentHashMap<>();

        Counts(int maxTotal, int maxPerClient) {
            this.maxTotal = maxTotal;
            this.maxPerClient = maxPerClient;
        }

        boolean tryAcquire(InetAddress client) {
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

        void release(InetAddress client) {
            total.decrementAndGet();
            perClient.computeIfPresent(client, (k, c) -> c.decrementAndGet() <= 0 ? null : c);
        }
    }
}
