package io.postern.delivery;

import io.postern.observability.LogLine;
import java.io.IOException;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Group commit for one file system: a delivery that has written and linked its file calls
 * {@link #await}, which returns once a sync that <em>started after the call</em> has succeeded.
 * Every caller that arrives while a sync runs joins the one batch that the next sync releases, so
 * under concurrency one sync serves many deliveries; one at a time, each delivery costs one sync.
 *
 * <p>No syncer thread: the first waiter that finds no sync running runs it on its own thread
 * (the leader) and wakes the others when it is done; a lone delivery thus costs no thread hand-off
 * at all, and under load a leader is a delivery thread that would be waiting anyway.
 *
 * <p>Failure: a failed sync fails exactly the deliveries of its batch with the same
 * {@link IOException} (logged once here, with what an operator should check); the next batch tries
 * a new sync. Thread-safe.
 */
final class SyncPoint {
    private static final Logger LOG = LoggerFactory.getLogger(SyncPoint.class);

    /** The sync itself: returns once everything written before it began is durable. */
    @FunctionalInterface
    interface Action {
        void sync() throws IOException;
    }

    /**
     * The deliveries one sync releases. Guarded by the lock. Each batch has its own condition, so
     * that a finished sync wakes its own deliveries and one leader for the next batch, not every
     * thread that waits (each needless wake-up is a futex pair and a lock hand-off).
     */
    private static final class Batch {
        final Condition finished;
        boolean done;
        IOException error;

        Batch(Condition finished) {
            this.finished = finished;
        }
    }

    private final Action action;
    private final String name;
    private final ReentrantLock lock = new ReentrantLock();
    private Batch pending;
    private boolean running;
    private long syncs;
    private long failures;
    private int waiting;

    /** {@code name} says in log lines which file system this is (its spool folder). */
    SyncPoint(Action action, String name) {
        this.action = action;
        this.name = name;
    }

    /**
     * Blocks until a sync that started after this call has finished; throws its error if it
     * failed, or if any sync failed since {@code failuresBefore} ({@link #failures} read before the
     * caller began writing): the kernel reports a write-back error to one {@code syncfs} only, and
     * that may have been an earlier batch's while this caller's pages were being written. The
     * caller's writes must be complete (file written, name linked) before the call.
     */
    void await(long failuresBefore) throws IOException {
        Batch mine;
        lock.lock();
        try {
            mine = pending == null ? (pending = new Batch(lock.newCondition())) : pending;
            waiting++;
            try {
                while (!mine.done) {
                    if (running) {
                        mine.finished.awaitUninterruptibly(); // the sync must end anyway: an interrupt cannot shorten it
                    } else {
                        lead(); // mine is the pending batch: a batch leaves pending only with running set
                    }
                }
            } finally {
                waiting--;
            }
        } finally {
            lock.unlock();
        }
        if (mine.error != null) {
            throw new IOException(mine.error.getMessage(), mine.error);
        }
        if (failures() != failuresBefore) {
            throw new IOException("a sync of this file system failed while this message was being written");
        }
    }

    /** Runs one sync for the pending batch, the lock released meanwhile so that others can queue up. */
    private void lead() {
        Batch batch = pending;
        pending = null;
        running = true;
        syncs++;
        IOException error = null;
        lock.unlock();
        try {
            action.sync();
        } catch (IOException e) {
            error = e;
        } catch (RuntimeException | Error e) {
            // Caught, not passed on: a leader that left running set would block every later delivery.
            error = new IOException("sync failed: " + e, e);
        } finally {
            lock.lock();
        }
        running = false;
        batch.done = true;
        batch.error = error;
        if (error != null) {
            failures++;
            LogLine.event("spool-sync-failed").add("spool", name).add("error", error.getMessage())
                    .add("action", "the disk under this spool reported a write error: check the kernel log "
                            + "(dmesg) and the device; waiting deliveries are deferred (4.3.0) and retried")
                    .error(LOG);
        }
        batch.finished.signalAll();
        if (pending != null) {
            pending.finished.signal(); // one of those who arrived meanwhile runs the next sync
        }
    }

    /** Syncs started so far. */
    long syncs() {
        lock.lock();
        try {
            return syncs;
        } finally {
            lock.unlock();
        }
    }

    /** Syncs that failed so far. */
    long failures() {
        lock.lock();
        try {
            return failures;
        } finally {
            lock.unlock();
        }
    }

    /** Callers inside {@link #await} now (for tests that must know a delivery is waiting). */
    int waiting() {
        lock.lock();
        try {
            return waiting;
        } finally {
            lock.unlock();
        }
    }
}
