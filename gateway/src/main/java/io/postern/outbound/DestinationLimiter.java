package io.postern.outbound;

import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.Semaphore;

/**
 * At most {@code limit} deliveries at a time to a next hop the queue cannot see (the relay host,
 * shared by every recipient domain), like Postfix's default_destination_concurrency_limit: a burst
 * of mail queues here (on cheap virtual threads) instead of opening hundreds of sessions to one
 * host. A recipient domain's own limit is the queue's destination table's, not this one's. Entries exist only while used, so random domains do not grow the map. Thread-safe.
 */
final class DestinationLimiter {
    private final int limit;
    private final Map<String, Entry> entries = new HashMap<>();

    private static final class Entry {
        final Semaphore permits;
        int users;

        Entry(int limit) {
            this.permits = new Semaphore(limit, true);
        }
    }

    DestinationLimiter(int limit) {
        this.limit = limit;
    }

    /** Waits for a slot; the returned handle gives it back. */
    Slot acquire(String destination) throws InterruptedException {
        Entry entry;
        synchronized (this) {
            entry = entries.computeIfAbsent(destination, d -> new Entry(limit));
            entry.users++;
        }
        try {
            entry.permits.acquire();
        } catch (InterruptedException e) {
            leave(destination, entry);
            throw e;
        }
        return () -> {
            entry.permits.release();
            leave(destination, entry);
        };
    }

    private synchronized void leave(String destination, Entry entry) {
        if (--entry.users == 0) {
            entries.remove(destination);
        }
    }

    synchronized int trackedDestinations() {
        return entries.size();
    }

    /** A held slot. */
    interface Slot extends AutoCloseable {
        /** No slot: the limit was enforced elsewhere (the queue's destination table). */
        Slot NONE = () -> {
        };

        @Override
        void close();
    }
}
