package io.postern.smtp.inbound.policy;

import io.postern.config.SenderLimitsConfig;
import io.postern.directory.SenderRights;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Per-sender limits of authenticated senders ({@code relay.limits}, or the user's own values from
 * the directory): recipients in one message, and messages in any sliding hour, counted on this
 * node. With {@code frontNodes} above 1 this node allows {@code ceil(limit / frontNodes)} messages
 * per hour: no counter is shared, so the cluster-wide figure is approximate (see
 * docs/routing.md). A message counts once it is accepted ({@code 250}); concurrent transactions
 * of one sender are checked at MAIL and may each pass before either is counted. Thread-safe;
 * memory: one time stamp per message accepted in the last hour from a limited sender.
 */
public final class SenderLimiter {
    static final Duration WINDOW = Duration.ofHours(1);

    private final SenderLimitsConfig config;
    private final Clock clock;
    private static final int SWEEP_EVERY = 256;

    private final Map<String, ArrayDeque<Long>> sent = new ConcurrentHashMap<>();
    private final AtomicInteger accepts = new AtomicInteger();

    public SenderLimiter(SenderLimitsConfig config, Clock clock) {
        this.config = config;
        this.clock = clock;
    }

    /** Recipients this sender may address in one message; {@link Integer#MAX_VALUE} when unlimited. */
    public int recipientsPerMessage(SenderRights rights) {
        int limit = rights.recipientsPerMessage().orElse(config.recipientsPerMessage());
        return limit == 0 ? Integer.MAX_VALUE : limit;
    }

    /** Messages this node lets the sender send per hour; 0 when unlimited. */
    int messagesPerHourHere(SenderRights rights) {
        int limit = rights.messagesPerHour().orElse(config.messagesPerHour());
        if (limit == 0) {
            return 0;
        }
        return Math.max(1, (limit + config.frontNodes() - 1) / config.frontNodes());
    }

    /** Whether {@code sender} (an address key) may start another message now. */
    public boolean mayStart(String sender, SenderRights rights) {
        int limit = messagesPerHourHere(rights);
        if (limit == 0) {
            return true;
        }
        ArrayDeque<Long> times = sent.get(sender);
        if (times == null) {
            return true;
        }
        synchronized (times) {
            prune(times, clock.millis());
            return times.size() < limit;
        }
    }

    /** One message of {@code sender} was accepted. */
    public void accepted(String sender, SenderRights rights) {
        int limit = messagesPerHourHere(rights);
        if (limit == 0) {
            return;
        }
        long now = clock.millis();
        sent.compute(sender, (key, times) -> {
            ArrayDeque<Long> out = times == null ? new ArrayDeque<>() : times;
            synchronized (out) {
                prune(out, now);
                out.addLast(now);
                // Only the last `limit` stamps can decide anything: older ones are dropped early.
                while (out.size() > limit) {
                    out.removeFirst();
                }
            }
            return out;
        });
        if (accepts.incrementAndGet() % SWEEP_EVERY == 0) {
            sweep();
        }
    }

    /** Forgets senders with nothing left in the window (every {@value #SWEEP_EVERY} accepted messages). */
    public void sweep() {
        long now = clock.millis();
        sent.entrySet().removeIf(e -> {
            synchronized (e.getValue()) {
                prune(e.getValue(), now);
                return e.getValue().isEmpty();
            }
        });
    }

    private static void prune(ArrayDeque<Long> times, long now) {
        long from = now - WINDOW.toMillis();
        while (!times.isEmpty() && times.peekFirst() <= from) {
            times.removeFirst();
        }
    }
}
