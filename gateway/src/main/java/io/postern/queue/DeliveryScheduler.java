package io.postern.queue;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.postern.config.QueueConfig;
import io.postern.observability.LogLine;
import io.postern.mail.DeliveryAgent;
import io.postern.mail.DeliveryResult;
import io.postern.mail.EnvelopeRecipient;
import io.postern.mail.MailAddress;
import io.postern.mail.QueuedMessage;
import io.postern.queue.QueueRecord.Origin;
import io.postern.queue.QueueRecord.RecipientState;
import io.postern.queue.QueueRecord.Status;
import io.postern.queue.QueueRecordCodec.CorruptRecordException;
import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Decides when each message is tried and records what happened. In memory it keeps only a
 * {@link LongHeap} of (next attempt, id) pairs, the ids in flight and, per destination domain,
 * the number of deliveries running, its failure streak and the ids parked waiting for a slot:
 * envelopes and bodies stay on disk and are read when a message is due.
 *
 * <p>One attempt: read the envelope; expire it if too old; split pending recipients by domain;
 * call the {@link DeliveryAgent} for each domain that has a free slot and is not backing off;
 * record every result durably before anything else (so after a crash a delivered recipient is
 * not offered again, except in the short window between the agent's answer and that write: such
 * an offer is always marked {@link QueuedMessage.Attempt#REPEAT});
 * enqueue DSNs; then remove the message or reschedule it on the retry schedule.
 *
 * <p>Thread-safe. One dispatcher thread; attempts run on virtual threads.
 */
final class DeliveryScheduler implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(DeliveryScheduler.class);
    /** How soon a message is looked at again when only some of its domains had a free slot. */
    private static final Duration SLOT_WAIT = Duration.ofSeconds(1);
    /**
     * Set on a due time returned by an attempt when the heap entry must run even though the
     * envelope on disk names another time (destination backoff: not worth a rewrite per message).
     */
    private static final long FORCED_DUE = 1L << 62;
    /** How soon a message is retried when its own bookkeeping could not be written (disk full). */
    private static final Duration BOOKKEEPING_RETRY = Duration.ofMinutes(1);

    private final QueueConfig config;
    private final QueueStore store;
    private final Clock clock;
    private final Notices notices;
    private final ExecutorService workers;
    /** Ids below this were accepted by an earlier process: their last attempt may have delivered unrecorded. */
    private final long firstIdOfThisRun;

    private final ReentrantLock lock = new ReentrantLock();
    private final Condition changed = lock.newCondition();
    private final LongHeap heap = new LongHeap();
    private final Set<Long> inFlight = new HashSet<>();
    private final Map<String, Destination> destinations = new HashMap<>();
    private final Map<Long, QueueRecord> unrecorded = new ConcurrentHashMap<>();
    private volatile DeliveryAgent agent;
    private volatile boolean running;
    private Thread dispatcher;
    /** The last dispatcher pass that ended with nothing due to start (guarded by lock): what tests wait for. */
    private QuietPass lastQuietPass = new QuietPass(0, 0);

    private final AtomicLong total = new AtomicLong();
    private final AtomicLong deferred = new AtomicLong();
    private final AtomicLong held = new AtomicLong();
    private final Map<Outcome, Timer> delays = new EnumMap<>(Outcome.class);

    /**
     * The {@code number}th dispatcher pass that found nothing due to start, with {@code inFlight}
     * attempts running as it ended. With none running, everything due at the clock's time had been
     * tried: a test that moved a fake clock waits for one such pass after {@link #wake()}.
     */
    record QuietPass(long number, int inFlight) {
    }

    /** Outcomes of one attempt for one recipient, as logged and measured. */
    enum Outcome { DELIVERED, DEFERRED, FAILED, EXPIRED }

    /** What the scheduler needs to enqueue DSNs (implemented by {@link MailQueue}). */
    interface Notices {
        /** Enqueues DSNs for {@code record}'s unreported outcomes; returns the record with them marked reported. */
        QueueRecord send(QueueRecord record, Instant now) throws IOException;
    }

    private static final class Destination {
        int active;
        int failures;
        long backoffUntil;
        final ArrayDeque<Long> parked = new ArrayDeque<>();
    }

    DeliveryScheduler(QueueConfig config, QueueStore store, Clock clock, MeterRegistry registry, Notices notices,
                      ExecutorService workers, long firstIdOfThisRun) {
        this.config = config;
        this.firstIdOfThisRun = firstIdOfThisRun;
        this.store = store;
        this.clock = clock;
        this.notices = notices;
        this.workers = workers;
        Gauge.builder("postern.queue.messages", total, AtomicLong::get).tag("state", "total")
                .description("Messages in the queue").register(registry);
        Gauge.builder("postern.queue.messages", deferred, AtomicLong::get).tag("state", "deferred")
                .description("Messages in the queue that have had at least one attempt").register(registry);
        Gauge.builder("postern.queue.messages", held, AtomicLong::get).tag("state", "hold")
                .description("Messages on hold").register(registry);
        Gauge.builder("postern.queue.messages", this, s -> s.activeCount()).tag("state", "active")
                .description("Messages being delivered now").register(registry);
        Gauge.builder("postern.queue.oldest.age", this, DeliveryScheduler::oldestAgeSeconds).baseUnit("seconds")
                .description("Age of the oldest message waiting for delivery (hold excluded)").register(registry);
        for (Outcome outcome : Outcome.values()) {
            delays.put(outcome, Timer.builder("postern.queue.delivery.delay")
                    .description("Time from arrival to the end of a delivery attempt, per recipient")
                    .tag("outcome", outcome.name().toLowerCase(java.util.Locale.ROOT))
                    .register(registry));
        }
    }

    // ---- lifecycle and schedule ------------------------------------------------------------

    void start() {
        running = true;
        dispatcher = Thread.ofPlatform().name("queue-scheduler").daemon().start(this::dispatchLoop);
    }

    void setAgent(DeliveryAgent newAgent) {
        agent = newAgent;
        wake();
    }

    boolean hasAgent() {
        return agent != null;
    }

    /** Called once per committed message (new or found at start). */
    void track(QueueRecord record) {
        total.incrementAndGet();
        if (record.attempts() > 0) {
            deferred.incrementAndGet();
        }
        if (record.held()) {
            held.incrementAndGet();
            return;
        }
        schedule(record.nextAttempt().toEpochMilli(), record.id());
    }

    void schedule(long dueMillis, long id) {
        lock.lock();
        try {
            heap.push(dueMillis, id);
            changed.signalAll();
        } finally {
            lock.unlock();
        }
    }

    /**
     * Makes the dispatcher look at the clock again. Returns the number of quiet passes so far: as
     * passes run under the lock, a quiet pass numbered higher began after this wake-up.
     */
    long wake() {
        lock.lock();
        try {
            changed.signalAll();
            return lastQuietPass.number();
        } finally {
            lock.unlock();
        }
    }

    QuietPass lastQuietPass() {
        lock.lock();
        try {
            return lastQuietPass;
        } finally {
            lock.unlock();
        }
    }

    /** Every scheduled and parked message becomes due now; destination backoffs are forgotten. */
    void flush() {
        lock.lock();
        try {
            long now = clock.millis();
            heap.forceAll(now);
            for (Destination d : destinations.values()) {
                d.backoffUntil = 0;
                d.failures = 0;
                while (!d.parked.isEmpty()) {
                    heap.push(now, d.parked.poll() | LongHeap.FORCED);
                }
            }
            changed.signalAll();
        } finally {
            lock.unlock();
        }
    }

    int activeCount() {
        lock.lock();
        try {
            return inFlight.size();
        } finally {
            lock.unlock();
        }
    }

    boolean isActive(long id) {
        lock.lock();
        try {
            return inFlight.contains(id);
        } finally {
            lock.unlock();
        }
    }

    double oldestAgeSeconds() {
        lock.lock();
        try {
            long min = heap.minId();
            for (long id : inFlight) {
                min = min < 0 ? id : Math.min(min, id);
            }
            for (Destination d : destinations.values()) {
                for (long id : d.parked) {
                    min = min < 0 ? id : Math.min(min, id);
                }
            }
            return min < 0 ? 0 : Math.max(0, (clock.millis() - QueueId.millis(min)) / 1000.0);
        } finally {
            lock.unlock();
        }
    }

    /**
     * Runs {@code action} while no attempt can touch message {@code id}; false when it is being
     * delivered right now (the caller answers "busy, try again").
     */
    boolean exclusively(long id, Runnable action) {
        lock.lock();
        try {
            if (!inFlight.add(id)) {
                return false;
            }
        } finally {
            lock.unlock();
        }
        try {
            action.run();
        } finally {
            release(id, -1);
        }
        return true;
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

    private void release(long id, long nextDue) {
        lock.lock();
        try {
            inFlight.remove(id);
            if (nextDue >= 0) {
                boolean forced = (nextDue & FORCED_DUE) != 0;
                heap.push(nextDue & ~FORCED_DUE, forced ? id | LongHeap.FORCED : id);
            }
            changed.signalAll();
        } finally {
            lock.unlock();
        }
    }

    private void dispatchLoop() {
        while (running) {
            lock.lock();
            try {
                long wait = dispatchDue();
                if (agent == null || heap.isEmpty() || heap.peekDue() > clock.millis()) {
                    lastQuietPass = new QuietPass(lastQuietPass.number() + 1, inFlight.size());
                }
                if (wait > 0 && running) {
                    changed.await(wait, TimeUnit.MILLISECONDS);
                }
            } catch (InterruptedException e) {
                return;
            } catch (RuntimeException e) {
                LogLine.event("scheduler-error").add("error", e.toString()).error(LOG);
            } finally {
                lock.unlock();
            }
        }
    }

    /** Starts every due attempt there is room for; returns how long to wait (ms) before looking again. */
    private long dispatchDue() {
        while (true) {
            if (agent == null || heap.isEmpty() || inFlight.size() >= config.maxConcurrentDeliveries()) {
                return 1000;
            }
            long now = clock.millis();
            long due = heap.peekDue();
            if (due > now) {
                return Math.max(1, Math.min(due - now, 1000));
            }
            long raw = heap.peekId();
            heap.pop();
            long id = raw & ~LongHeap.FORCED;
            if (!inFlight.add(id)) {
                continue; // being handled; that attempt reschedules it
            }
            boolean forced = raw < 0;
            workers.execute(() -> attempt(id, due, forced));
        }
    }

    // ---- one attempt -------------------------------------------------------------------------

    private void attempt(long id, long due, boolean forced) {
        long next = -1;
        try {
            next = attemptOrPark(id, due, forced);
        } catch (RuntimeException | Error e) {
            LogLine.event("attempt-error").add("id", QueueId.format(id)).add("error", e.toString()).error(LOG);
            next = (clock.millis() + BOOKKEEPING_RETRY.toMillis()) | FORCED_DUE;
        } finally {
            release(id, next);
        }
    }

    /** Returns the next due time to schedule, or -1 when the message needs no heap entry. */
    private long attemptOrPark(long id, long due, boolean forced) {
        Optional<QueueRecord> loaded = load(id);
        if (loaded.isEmpty()) {
            return -1;
        }
        QueueRecord record = loaded.get();
        if (record.held() || !forced && record.nextAttempt().toEpochMilli() != due) {
            return -1; // on hold, or a stale entry: the current one is elsewhere in the heap
        }
        Instant now = clock.instant();
        if (!now.isBefore(record.arrival().plus(config.maxLifetime())) && !record.done()) {
            return finish(expire(record, now), now);
        }
        if (record.done()) {
            return finish(record, now);
        }
        DeliveryAgent current = agent;
        if (current == null) {
            return record.nextAttempt().toEpochMilli();
        }
        Map<String, List<EnvelopeRecipient>> byDomain = new LinkedHashMap<>();
        for (RecipientState r : record.pending()) {
            byDomain.computeIfAbsent(r.recipient().address().domain(), d -> new ArrayList<>()).add(r.recipient());
        }
        List<String> go = new ArrayList<>();
        long backoffUntil = Long.MAX_VALUE;
        String full = null;
        lock.lock();
        try {
            for (String domain : byDomain.keySet()) {
                Destination d = destinations.computeIfAbsent(domain, k -> new Destination());
                if (d.backoffUntil > now.toEpochMilli()) {
                    backoffUntil = Math.min(backoffUntil, d.backoffUntil);
                } else if (d.active >= limit(d)) {
                    full = full == null ? domain : full;
                } else {
                    d.active++;
                    go.add(domain);
                }
            }
            if (go.isEmpty() && full != null) {
                destinations.get(full).parked.add(id);
                return -1; // woken when a slot of that domain frees; its entry keeps the same due time
            }
        } finally {
            lock.unlock();
        }
        if (go.isEmpty()) {
            return backoffUntil | FORCED_DUE;
        }
        // A message from an earlier run may have been delivered in the instant before that run
        // died, and a retried one may have been partly delivered: the agent then looks first.
        QueuedMessage.Attempt attempt = record.attempts() > 0 || id < firstIdOfThisRun
                ? QueuedMessage.Attempt.REPEAT : QueuedMessage.Attempt.FIRST;
        QueuedMessage message = new QueuedMessage(record.queueId(), record.envelope(),
                store.content(id, record.contentSize()), attempt);
        List<CompletableFuture<List<DeliveryResult>>> calls = new ArrayList<>();
        for (String domain : go) {
            List<EnvelopeRecipient> recipients = byDomain.get(domain);
            CompletableFuture<List<DeliveryResult>> call;
            try {
                call = current.deliver(message, recipients);
            } catch (RuntimeException e) {
                call = CompletableFuture.failedFuture(e);
            }
            calls.add(call.exceptionally(e -> recipients.stream()
                    .map(r -> DeliveryResult.deferred(r, "4.3.0", "delivery failed: " + e))
                    .toList()));
        }
        QueueRecord updated = record;
        List<Integer> waiting = new ArrayList<>();
        for (int i = 0; i < go.size(); i++) {
            waiting.add(i);
        }
        while (!waiting.isEmpty()) {
            CompletableFuture.anyOf(waiting.stream().map(calls::get).toArray(CompletableFuture[]::new)).join();
            boolean delivered = false;
            for (var it = waiting.iterator(); it.hasNext(); ) {
                int i = it.next();
                if (!calls.get(i).isDone()) {
                    continue;
                }
                it.remove();
                List<DeliveryResult> domainResults = calls.get(i).join();
                endDestination(go.get(i), domainResults, now.toEpochMilli());
                updated = apply(record, updated, domainResults, clock.instant());
                delivered |= domainResults.stream().anyMatch(r -> r.status() == DeliveryResult.Status.DELIVERED);
            }
            if (delivered && !waiting.isEmpty()) {
                // Other domains are still running: record these deliveries now, so a crash meanwhile
                // does not offer them again. A failure here is retried by the final write below.
                try {
                    store.rewrite(updated).join();
                } catch (RuntimeException e) {
                    LogLine.event("bookkeeping-failed").add("id", record.queueId()).add("error", e.toString()).warn(LOG);
                }
            }
        }
        Instant end = clock.instant();
        updated = updated.withSchedule(record.attempts() + 1, record.nextAttempt());
        boolean skipped = go.size() < byDomain.size();
        Instant next = skipped ? end.plus(SLOT_WAIT) : end.plus(config.retryDelay(updated.attempts()));
        if (backoffUntil != Long.MAX_VALUE && go.size() + (full == null ? 0 : 1) < byDomain.size()) {
            next = next.isBefore(Instant.ofEpochMilli(backoffUntil)) ? next : Instant.ofEpochMilli(backoffUntil);
        }
        Instant expiry = record.arrival().plus(config.maxLifetime());
        updated = updated.withSchedule(updated.attempts(), next.isAfter(expiry) ? expiry : next);
        if (record.attempts() == 0) {
            deferred.incrementAndGet();
        }
        return finish(updated, end);
    }

    /** A destination that keeps failing gets one probe delivery at a time until one succeeds. */
    private int limit(Destination d) {
        return d.failures >= config.destinationFailureThreshold() ? 1 : config.destinationConcurrency();
    }

    private void endDestination(String domain, List<DeliveryResult> results, long now) {
        boolean allDeferred = !results.isEmpty()
                && results.stream().allMatch(r -> r.status() == DeliveryResult.Status.DEFERRED);
        lock.lock();
        try {
            Destination d = destinations.get(domain);
            d.active--;
            if (allDeferred) {
                d.failures++;
                if (d.failures >= config.destinationFailureThreshold()) {
                    d.backoffUntil = now + config.destinationBackoff().toMillis();
                    LogLine.event("destination-backoff").add("domain", domain).add("failures", d.failures)
                            .add("until", Instant.ofEpochMilli(d.backoffUntil)).info(LOG);
                }
            } else {
                d.failures = 0;
                d.backoffUntil = 0;
            }
            if (d.backoffUntil > now) {
                // Dead: everything waiting for it is looked at again when the backoff ends.
                while (!d.parked.isEmpty()) {
                    heap.push(d.backoffUntil, d.parked.poll() | LongHeap.FORCED);
                }
            } else {
                for (int free = limit(d) - d.active; free > 0 && !d.parked.isEmpty(); free--) {
                    heap.push(now, d.parked.poll() | LongHeap.FORCED);
                }
            }
            if (d.active == 0 && d.failures == 0 && d.parked.isEmpty()) {
                destinations.remove(domain);
            }
            changed.signalAll();
        } finally {
            lock.unlock();
        }
    }

    /** Applies the agent's results to {@code current}, logs one line and one measurement per recipient. */
    private QueueRecord apply(QueueRecord record, QueueRecord current, List<DeliveryResult> results, Instant now) {
        List<RecipientState> states = new ArrayList<>(current.recipients());
        Duration delay = Duration.between(record.arrival(), now);
        for (DeliveryResult result : results) {
            for (int i = 0; i < states.size(); i++) {
                RecipientState s = states.get(i);
                if (s.status() != Status.PENDING || !s.recipient().equals(result.recipient())) {
                    continue;
                }
                Status status = switch (result.status()) {
                    case DELIVERED -> Status.DELIVERED;
                    case DEFERRED -> Status.PENDING;
                    case FAILED -> Status.FAILED;
                };
                states.set(i, s.with(status, result.enhancedCode(), result.diagnostic(), result.remoteMta()));
                Outcome outcome = switch (result.status()) {
                    case DELIVERED -> Outcome.DELIVERED;
                    case DEFERRED -> Outcome.DEFERRED;
                    case FAILED -> Outcome.FAILED;
                };
                logAttempt(record, s.recipient().address(), result.remoteMta().orElse("none"), delay,
                        record.attempts() + 1, outcome, result.enhancedCode(), result.diagnostic());
                break;
            }
        }
        return current.withRecipients(states);
    }

    private QueueRecord expire(QueueRecord record, Instant now) {
        List<RecipientState> states = new ArrayList<>();
        Duration delay = Duration.between(record.arrival(), now);
        for (RecipientState s : record.recipients()) {
            if (s.status() == Status.PENDING) {
                String diag = "message expired after " + config.maxLifetime().toHours() + "h in the queue"
                        + (s.diagnostic().isEmpty() ? "" : "; last error: " + s.diagnostic());
                states.add(s.with(Status.FAILED, "4.4.7", diag, s.remoteMta()));
                logAttempt(record, s.recipient().address(), s.remoteMta().orElse("none"), delay, record.attempts(),
                        Outcome.EXPIRED, "4.4.7", diag);
            } else {
                states.add(s);
            }
        }
        return record.withRecipients(states);
    }

    /**
     * Sends DSNs, then removes the message if nothing is pending or saves it; returns the next due
     * time (or -1). If the bookkeeping cannot be written the updated record is kept in memory, so
     * a delivered recipient is not offered again by this process.
     */
    long finish(QueueRecord record, Instant now) {
        QueueRecord reported;
        try {
            reported = notices.send(record, now);
        } catch (IOException e) {
            LogLine.event("notice-failed").add("id", record.queueId()).add("error", e.toString()).warn(LOG);
            return keepInMemory(record.withSchedule(record.attempts(), now.plus(BOOKKEEPING_RETRY)));
        }
        if (reported.done()) {
            try {
                store.remove(record.id()).join();
            } catch (RuntimeException e) {
                LogLine.event("remove-failed").add("id", record.queueId()).add("error", e.toString()).warn(LOG);
                return keepInMemory(reported.withSchedule(reported.attempts(), now.plus(BOOKKEEPING_RETRY)));
            }
            unrecorded.remove(record.id());
            countRemoved(reported);
            LOG.info("event=removed id={}", record.queueId());
            return -1;
        }
        return save(reported, now);
    }

    private long save(QueueRecord record, Instant now) {
        try {
            store.rewrite(record).join();
            unrecorded.remove(record.id());
            return record.nextAttempt().toEpochMilli();
        } catch (RuntimeException e) {
            LogLine.event("bookkeeping-failed").add("id", record.queueId()).add("error", e.toString()).warn(LOG);
            return keepInMemory(record.withSchedule(record.attempts(), now.plus(BOOKKEEPING_RETRY)));
        }
    }

    private long keepInMemory(QueueRecord record) {
        unrecorded.put(record.id(), record);
        return record.nextAttempt().toEpochMilli();
    }

    private Optional<QueueRecord> load(long id) {
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

    private void logAttempt(QueueRecord record, MailAddress to, String relay, Duration delay, int attempt,
                            Outcome outcome, String code, String diagnostic) {
        delays.get(outcome).record(delay);
        // Values from clients and remote servers go through LogLine: a quoted local part or a
        // remote reply can never add a key or end the line.
        LogLine.event("delivery").add("id", record.queueId())
                .add("from", "<" + record.envelope().sender().map(MailAddress::toString).orElse("") + ">")
                .add("to", "<" + to + ">").add("relay", relay.replace(' ', '_'))
                .add("delay", String.format(java.util.Locale.ROOT, "%.3f", delay.toMillis() / 1000.0))
                .add("attempt", attempt).add("status", status(outcome)).add("dsn", code)
                .add("diag", diagnostic).info(LOG);
    }

    private static String status(Outcome outcome) {
        return switch (outcome) {
            case DELIVERED -> "sent";
            case DEFERRED -> "deferred";
            case FAILED -> "bounced";
            case EXPIRED -> "expired";
        };
    }

    @Override
    public void close() {
        running = false;
        wake();
        if (dispatcher != null) {
            try {
                dispatcher.join(5000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
