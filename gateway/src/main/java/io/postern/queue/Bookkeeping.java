package io.postern.queue;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.postern.observability.LogLine;
import io.postern.queue.QueueRecordCodec.CorruptRecordException;
import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Makes an attempt's or a command's result durable: sends DSNs, then removes the message if
 * nothing is pending or rewrites its envelope. If that cannot be written (disk full) the record is
 * kept in memory and retried soon, so this process never offers a delivered recipient again.
 * Also keeps the queue's message counts. Thread-safe.
 */
final class Bookkeeping {
    private static final Logger LOG = LoggerFactory.getLogger(DeliveryScheduler.class);
    /** How soon a message is retried when its own bookkeeping could not be written (disk full). */
    static final Duration RETRY = Duration.ofMinutes(1);

    /** What bookkeeping needs to enqueue DSNs (the {@link Bouncer}). */
    interface Notices {
        /** Enqueues DSNs for {@code record}'s unreported outcomes; returns the record with them marked reported. */
        QueueRecord send(QueueRecord record, Instant now) throws IOException;
    }

    private final QueueStore store;
    private final Notices notices;
    private final Map<Long, QueueRecord> unrecorded = new ConcurrentHashMap<>();
    private final AtomicLong total = new AtomicLong();
    private final AtomicLong deferred = new AtomicLong();
    private final AtomicLong held = new AtomicLong();

    Bookkeeping(QueueStore store, Notices notices, MeterRegistry registry) {
        this.store = store;
        this.notices = notices;
        Gauge.builder("postern.queue.messages", total, AtomicLong::get).tag("state", "total")
                .description("Messages in the queue").register(registry);
        Gauge.builder("postern.queue.messages", deferred, AtomicLong::get).tag("state", "deferred")
                .description("Messages in the queue that have had at least one attempt").register(registry);
        Gauge.builder("postern.queue.messages", held, AtomicLong::get).tag("state", "hold")
                .description("Messages on hold").register(registry);
    }

    /** Sends DSNs, then removes the message if nothing is pending, or saves it. */
    Next finish(QueueRecord record, Instant now) {
        QueueRecord reported;
        try {
            reported = notices.send(record, now);
        } catch (IOException e) {
            LogLine.event("notice-failed").add("id", record.queueId()).add("error", e.toString()).warn(LOG);
            return keepInMemory(record.withSchedule(record.attempts(), now.plus(RETRY)));
        }
        if (reported.done()) {
            try {
                store.remove(record.id()).join();
            } catch (RuntimeException e) {
                LogLine.event("remove-failed").add("id", record.queueId()).add("error", e.toString()).warn(LOG);
                return keepInMemory(reported.withSchedule(reported.attempts(), now.plus(RETRY)));
            }
            unrecorded.remove(record.id());
            countRemoved(reported);
            LOG.info("event=removed id={}", record.queueId());
            return Next.NONE;
        }
        return save(reported, now);
    }

    /** Records deliveries made while other domains of the same message still run; a failure is retried by the final write. */
    void saveEarly(QueueRecord record) {
        try {
            store.rewrite(record).join();
        } catch (RuntimeException e) {
            LogLine.event("bookkeeping-failed").add("id", record.queueId()).add("error", e.toString()).warn(LOG);
        }
    }

    private Next save(QueueRecord record, Instant now) {
        try {
            store.rewrite(record).join();
            unrecorded.remove(record.id());
            return Next.at(record.nextAttempt());
        } catch (RuntimeException e) {
            LogLine.event("bookkeeping-failed").add("id", record.queueId()).add("error", e.toString()).warn(LOG);
            return keepInMemory(record.withSchedule(record.attempts(), now.plus(RETRY)));
        }
    }

    private Next keepInMemory(QueueRecord record) {
        unrecorded.put(record.id(), record);
        return Next.at(record.nextAttempt());
    }

    /** The message's latest state: in memory if it could not be written yet, else from disk; a damaged file is quarantined. */
    Optional<QueueRecord> load(long id) {
        QueueRecord pending = unrecorded.get(id);
        if (pending != null) {
            return Optional.of(pending);
        }
        try {
            return store.read(id);
        } catch (CorruptRecordException e) {
            LogLine.event("corrupt").add("id", QueueId.format(id)).add("problem", e.getMessage())
                    .add("action", "moved-to-corrupt").error(LOG);
            store.quarantine(id);
            total.decrementAndGet();
            return Optional.empty();
        } catch (IOException e) {
            LogLine.event("read-failed").add("id", QueueId.format(id)).add("error", e.toString()).warn(LOG);
            return Optional.empty();
        }
    }

    /** The in-memory record of a message whose latest state could not be written yet, if any. */
    Optional<QueueRecord> unrecorded(long id) {
        return Optional.ofNullable(unrecorded.get(id));
    }

    void forget(long id) {
        unrecorded.remove(id);
    }

    // ---- counts ---------------------------------------------------------------------------------

    void countTracked(QueueRecord record) {
        total.incrementAndGet();
        if (record.attempts() > 0) {
            deferred.incrementAndGet();
        }
        if (record.held()) {
            held.incrementAndGet();
        }
    }

    void countFirstAttempt() {
        deferred.incrementAndGet();
    }

    void countHold(int delta) {
        held.addAndGet(delta);
    }

    void countRemoved(QueueRecord record) {
        total.decrementAndGet();
        if (record.attempts() > 0) {
            deferred.decrementAndGet();
        }
        if (record.held()) {
            held.decrementAndGet();
        }
    }
}
