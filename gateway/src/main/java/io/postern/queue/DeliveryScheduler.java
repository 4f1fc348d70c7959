package io.postern.queue;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.postern.config.QueueConfig;
import io.postern.mail.DeliveryAgent;
import io.postern.net.Threads;
import io.postern.observability.LogLine;
import java.time.Clock;
import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The schedule: a {@link LongHeap} of (next attempt, id) pairs, the ids in flight, and the
 * dispatcher that starts each due {@link Attempt} (on a worker thread) while fewer than
 * {@code queue.maxConcurrentDeliveries} run. Envelopes and bodies stay on disk and are read when
 * a message is due. Per-destination limits and backoff are the {@link DestinationTable}'s.
 *
 * <p>Two ways to run it: {@link #start} a dispatcher thread (a node), or call {@link #runDue}, the
 * step function: every attempt due at the clock's time runs on the caller's thread before it
 * returns, so a test with an injected clock needs neither sleeps nor polling.
 *
 * <p>Thread-safe.
 */
final class DeliveryScheduler implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(DeliveryScheduler.class);
    /** The longest the dispatcher sleeps without looking at the clock (a clock moved by hand, a lost wake-up). */
    private static final long MAX_WAIT_MILLIS = 1000;

    private final QueueConfig config;
    private final Clock clock;
    private final ExecutorService workers;
    private final DestinationTable destinations;
    private final DirectoryWait directoryWait;
    private final Bookkeeping bookkeeping;
    private final Attempt attempt;

    private final ReentrantLock lock = new ReentrantLock();
    private final Condition changed = lock.newCondition();
    private final LongHeap heap = new LongHeap();
    private final Set<Long> inFlight = new HashSet<>();
    private volatile DeliveryAgent agent;
    private volatile boolean running;
    private Thread dispatcher;
    /** The last dispatcher pass that ended with nothing due to start (guarded by lock): what tests wait for. */
    private QuietPass lastQuietPass = new QuietPass(0, 0);

    /**
     * The {@code number}th dispatcher pass that found nothing due to start, with {@code inFlight}
     * attempts running as it ended. With none running, everything due at the clock's time had been
     * tried: a test that moved a fake clock waits for one such pass after {@link #wake()}.
     */
    record QuietPass(long number, int inFlight) {
    }

    DeliveryScheduler(QueueConfig config, QueueStore store, Clock clock, MeterRegistry registry,
                      Bookkeeping bookkeeping, ExecutorService workers, long firstIdOfThisRun) {
        this.config = config;
        this.clock = clock;
        this.workers = workers;
        this.bookkeeping = bookkeeping;
        this.destinations = new DestinationTable(config.destinationConcurrency(),
                config.destinationFailureThreshold(), config.destinationBackoff());
        this.directoryWait = new DirectoryWait();
        this.attempt = new Attempt(config, store, clock, destinations, bookkeeping, new DeliveryLog(registry),
                directoryWait, firstIdOfThisRun);
        Gauge.builder("postern.queue.messages", this, s -> s.activeCount()).tag("state", "active")
                .description("Messages being delivered now").register(registry);
        Gauge.builder("postern.queue.oldest.age", this, DeliveryScheduler::oldestAgeSeconds).baseUnit("seconds")
                .description("Age of the oldest message waiting for delivery (hold excluded)").register(registry);
        Gauge.builder("postern.queue.messages", directoryWait, DirectoryWait::size).tag("state", "directory-wait")
                .description("Messages last deferred because the directory could not answer").register(registry);
    }

    // ---- lifecycle --------------------------------------------------------------------------

    void start() {
        running = true;
        dispatcher = Threads.daemon("queue-scheduler", this::dispatchLoop);
        dispatcher.start();
    }

    void setAgent(DeliveryAgent newAgent) {
        agent = newAgent;
        wake();
    }

    /** Called once per committed message (new or found at start). */
    void track(QueueRecord record) {
        bookkeeping.countTracked(record);
        if (!record.held()) {
            schedule(Next.at(record.nextAttempt()), record.id());
        }
    }

    void schedule(Next next, long id) {
        if (next instanceof Next.At at) {
            lock.lock();
            try {
                heap.push(at.dueMillis(), id, at.forced());
                changed.signalAll();
            } finally {
                lock.unlock();
            }
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
            for (long id : destinations.reset()) {
                heap.push(now, id, true);
            }
            changed.signalAll();
        } finally {
            lock.unlock();
        }
    }

    /**
     * The directory answers again: every message last deferred because it could not is due now,
     * instead of at its retry slot (that entry stays, and is dropped as stale when it comes up).
     */
    int directoryAnswers() {
        int count = 0;
        lock.lock();
        try {
            long now = clock.millis();
            for (long id : directoryWait.drain()) {
                heap.push(now, id, true);
                count++;
            }
            changed.signalAll();
        } finally {
            lock.unlock();
        }
        if (count > 0) {
            LogLine.event("directory-back").add("retrying", count).info(LOG);
        }
        return count;
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
            long parked = destinations.minParkedId();
            if (parked >= 0) {
                min = min < 0 ? parked : Math.min(min, parked);
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
            release(id, Next.NONE);
        }
        return true;
    }

    private void release(long id, Next next) {
        lock.lock();
        try {
            inFlight.remove(id);
            if (next instanceof Next.At at) {
                heap.push(at.dueMillis(), id, at.forced());
            }
            changed.signalAll();
        } finally {
            lock.unlock();
        }
    }

    private void requeue(DestinationTable.Requeue requeue) {
        if (requeue.ids().isEmpty()) {
            return;
        }
        lock.lock();
        try {
            for (long id : requeue.ids()) {
                heap.push(requeue.dueMillis(), id, true);
            }
            changed.signalAll();
        } finally {
            lock.unlock();
        }
    }

    // ---- dispatch ---------------------------------------------------------------------------

    /**
     * The step function: runs every attempt due at the clock's time on the caller's thread, including
     * those that become due meanwhile (a DSN enqueued by an attempt, a parked message released), and
     * returns how many ran. For tests and tools; a node calls {@link #start} instead.
     */
    int runDue() {
        int count = 0;
        while (true) {
            LongHeap.Due due;
            lock.lock();
            try {
                due = takeDue(Integer.MAX_VALUE);
            } finally {
                lock.unlock();
            }
            if (due == null) {
                return count;
            }
            run(due);
            count++;
        }
    }

    /** The next due entry to start now, marked in flight; null when there is none (guarded by lock). */
    private LongHeap.Due takeDue(int concurrency) {
        while (agent != null && !heap.isEmpty() && inFlight.size() < concurrency
                && heap.peekDue() <= clock.millis()) {
            LongHeap.Due due = heap.pop();
            if (inFlight.add(due.id())) {
                return due;
            }
            // being handled; that attempt reschedules it
        }
        return null;
    }

    private void dispatchLoop() {
        while (running) {
            lock.lock();
            try {
                LongHeap.Due due;
                while ((due = takeDue(config.maxConcurrentDeliveries())) != null) {
                    LongHeap.Due started = due;
                    workers.execute(() -> run(started));
                }
                long wait = MAX_WAIT_MILLIS;
                if (agent == null || heap.isEmpty() || heap.peekDue() > clock.millis()) {
                    lastQuietPass = new QuietPass(lastQuietPass.number() + 1, inFlight.size());
                    if (agent != null && !heap.isEmpty()) {
                        wait = Math.max(1, Math.min(heap.peekDue() - clock.millis(), MAX_WAIT_MILLIS));
                    }
                }
                if (running) {
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

    private void run(LongHeap.Due due) {
        Next next = Next.NONE;
        try {
            next = attempt.run(due, agent, this::requeue);
        } catch (RuntimeException | Error e) {
            LogLine.event("attempt-error").add("id", QueueId.format(due.id())).add("error", e.toString()).error(LOG);
            next = Next.forced(clock.millis() + Bookkeeping.RETRY.toMillis());
        } finally {
            release(due.id(), next);
        }
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
