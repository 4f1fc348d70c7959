package io.postern.queue;

import io.postern.mail.DeliveryResult;
import io.postern.observability.LogLine;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Per destination domain: the deliveries running, the failure streak, the backoff and the ids
 * parked waiting for a free slot. The one owner of the per-destination concurrency limit and of
 * destination backoff (Postfix's qmgr keeps the same per-destination "queue" table). A domain with
 * nothing running, no streak and nothing parked is forgotten. Thread-safe.
 *
 * <p>Only a deferral of the destination's own making counts toward the streak: a deferral because
 * the directory could not answer ({@link DeliveryResult.Cause#DIRECTORY}) says nothing about the
 * destination, so it neither extends nor ends a streak.
 */
final class DestinationTable {
    private static final Logger LOG = LoggerFactory.getLogger(DeliveryScheduler.class);

    private final int concurrency;
    private final int failureThreshold;
    private final Duration backoff;
    private final Map<String, Destination> destinations = new HashMap<>();

    private static final class Destination {
        int active;
        int failures;
        long backoffUntil;
        final ArrayDeque<Long> parked = new ArrayDeque<>();
    }

    /** Whether a delivery to a domain may start now. */
    sealed interface Admission {
        /** A slot is taken: call {@link #end} when the delivery is over. */
        record Go() implements Admission {
        }

        /** Every slot is taken; the message may {@link #park} until one frees. */
        record Full() implements Admission {
        }

        /** The domain failed too often; nothing goes before {@code untilMillis}. */
        record BackingOff(long untilMillis) implements Admission {
        }
    }

    /** Parked ids to put back on the schedule at {@code dueMillis} (forced: their envelopes name another time). */
    record Requeue(List<Long> ids, long dueMillis) {
        static final Requeue NONE = new Requeue(List.of(), 0);
    }

    /** How a delivery to a domain went, as far as the destination's health is concerned. */
    enum Verdict {
        /** Something was delivered or refused for good: the destination answers. */
        ANSWERED,
        /** Everything was deferred by the destination: one more failure in its streak. */
        FAILED,
        /** Nothing that says anything about the destination (only directory deferrals). */
        NEUTRAL;

        static Verdict of(List<DeliveryResult> results) {
            List<DeliveryResult> own = results.stream().filter(r -> !r.isDirectoryDeferral()).toList();
            if (own.isEmpty()) {
                return NEUTRAL;
            }
            return own.stream().allMatch(DeliveryResult::isDeferred) ? FAILED : ANSWERED;
        }
    }

    DestinationTable(int concurrency, int failureThreshold, Duration backoff) {
        this.concurrency = concurrency;
        this.failureThreshold = failureThreshold;
        this.backoff = backoff;
    }

    synchronized Admission admit(String domain, long nowMillis) {
        Destination d = destinations.computeIfAbsent(domain, k -> new Destination());
        if (d.backoffUntil > nowMillis) {
            return new Admission.BackingOff(d.backoffUntil);
        }
        if (d.active >= limit(d)) {
            return new Admission.Full();
        }
        d.active++;
        return new Admission.Go();
    }

    /** Waits for a slot of {@code domain}: the id comes back in a {@link Requeue} from {@link #end}. */
    synchronized void park(String domain, long id) {
        destinations.computeIfAbsent(domain, k -> new Destination()).parked.add(id);
    }

    /** A delivery to {@code domain} is over: updates the streak and says which parked ids go when. */
    synchronized Requeue end(String domain, Verdict verdict, long nowMillis) {
        Destination d = destinations.get(domain);
        if (d == null) {
            return Requeue.NONE;
        }
        d.active--;
        switch (verdict) {
            case FAILED -> {
                d.failures++;
                if (d.failures >= failureThreshold) {
                    d.backoffUntil = nowMillis + backoff.toMillis();
                    LogLine.event("destination-backoff").add("domain", domain).add("failures", d.failures)
                            .add("until", Instant.ofEpochMilli(d.backoffUntil)).info(LOG);
                }
            }
            case ANSWERED -> {
                d.failures = 0;
                d.backoffUntil = 0;
            }
            case NEUTRAL -> {
            }
        }
        List<Long> ids = new ArrayList<>();
        long due;
        if (d.backoffUntil > nowMillis) {
            // Dead: everything waiting for it is looked at again when the backoff ends.
            ids.addAll(d.parked);
            d.parked.clear();
            due = d.backoffUntil;
        } else {
            for (int free = limit(d) - d.active; free > 0 && !d.parked.isEmpty(); free--) {
                ids.add(d.parked.poll());
            }
            due = nowMillis;
        }
        if (d.active == 0 && d.failures == 0 && d.parked.isEmpty()) {
            destinations.remove(domain);
        }
        return new Requeue(ids, due);
    }

    /** Forgets every backoff and streak (the operator's flush); returns every parked id. */
    synchronized List<Long> reset() {
        List<Long> ids = new ArrayList<>();
        for (Destination d : destinations.values()) {
            d.backoffUntil = 0;
            d.failures = 0;
            ids.addAll(d.parked);
            d.parked.clear();
        }
        destinations.values().removeIf(d -> d.active == 0);
        return ids;
    }

    /** The oldest parked id, or -1. */
    synchronized long minParkedId() {
        long min = -1;
        for (Destination d : destinations.values()) {
            for (long id : d.parked) {
                min = min < 0 ? id : Math.min(min, id);
            }
        }
        return min;
    }

    /** A destination that keeps failing gets one probe delivery at a time until one succeeds. */
    private int limit(Destination d) {
        return d.failures >= failureThreshold ? 1 : concurrency;
    }
}
