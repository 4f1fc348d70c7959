package io.postern.delivery;

import io.postern.observability.LogLine;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Group commit for one file system: a delivery that has written and linked its file asks for
 * {@link #after}, a future that completes once a sync that <em>started after the call</em> has
 * succeeded. Every caller that arrives while a sync runs joins the one batch that the next sync
 * releases, so under concurrency one sync serves many deliveries; one at a time, each delivery
 * costs one sync.
 *
 * <p>No syncer thread: the first caller that finds no sync running runs it on its own thread (the
 * leader), then completes its batch's futures there, so their continuations (the outcome, the log
 * lines, the SMTP reply) run on the leader; it goes on leading while batches are pending and no one
 * else leads. Everyone else returns at once: a delivery thread does not sit parked through a sync it
 * does not run, it takes the next delivery, whose file then joins the pending batch. Thus a lone
 * delivery costs no thread hand-off, and a batch is as large as the deliveries that arrive during
 * one sync, not capped by the delivery threads.
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

    /** One delivery waiting: its future and the failure count it read before it began writing. */
    private record Waiter(CompletableFuture<Void> durable, long failuresBefore) {
    }

    private final Action action;
    private final String name;
    private final ReentrantLock lock = new ReentrantLock();
    // Guarded by the lock: the batch the next sync releases, whether a leader is running a sync.
    private List<Waiter> pending = new ArrayList<>();
    private boolean running;
    private long syncs;
    private long failures;

    /** {@code name} says in log lines which file system this is (its spool folder). */
    SyncPoint(Action action, String name) {
        this.action = action;
        this.name = name;
    }

    /**
     * Completes once a sync that started after this call has finished: exceptionally with its
     * error if it failed, or if any sync failed since {@code failuresBefore} ({@link #failures} read
     * before the caller began writing): the kernel reports a write-back error to one
     * {@code syncfs} only, and that may have been an earlier batch's while this caller's pages were
     * being written. The caller's writes must be complete (file written, name linked) before the
     * call. When no sync is running the caller's thread runs it before this returns.
     */
    CompletableFuture<Void> after(long failuresBefore) {
        CompletableFuture<Void> durable = new CompletableFuture<>();
        boolean lead;
        lock.lock();
        try {
            pending.add(new Waiter(durable, failuresBefore));
            lead = !running;
            running = true;
        } finally {
            lock.unlock();
        }
        if (lead) {
            leadWhilePending();
        }
        return durable;
    }

    /** Blocking form of {@link #after}, for a caller that has nothing else to do meanwhile. */
    void await(long failuresBefore) throws IOException {
        join(after(failuresBefore));
    }

    /** Waits for a delivery's future; its failure as the {@link IOException} (or bug) it carries. */
    static <T> T join(CompletableFuture<T> durable) throws IOException {
        try {
            return durable.join();
        } catch (CompletionException e) {
            if (e.getCause() instanceof IOException io) {
                throw io;
            }
            if (e.getCause() instanceof RuntimeException bug) {
                throw bug;
            }
            throw e;
        }
    }

    /**
     * Runs syncs for pending batches until none is pending. Each batch's futures are completed with
     * {@code running} cleared, so that a delivery arriving meanwhile leads the next sync on its own
     * thread instead of waiting for these continuations.
     */
    private void leadWhilePending() {
        while (true) {
            List<Waiter> batch;
            lock.lock();
            try {
                if (pending.isEmpty()) {
                    running = false;
                    return;
                }
                batch = pending;
                pending = new ArrayList<>();
                syncs++;
            } finally {
                lock.unlock();
            }
            IOException error = null;
            try {
                action.sync();
            } catch (IOException e) {
                error = e;
            } catch (RuntimeException | Error e) {
                // Caught, not passed on: a leader that left running set would block every later delivery.
                error = new IOException("sync failed: " + e, e);
            }
            long failuresNow;
            lock.lock();
            try {
                if (error != null) {
                    failures++;
                }
                failuresNow = failures;
                running = false;
            } finally {
                lock.unlock();
            }
            if (error != null) {
                LogLine.event("spool-sync-failed").add("spool", name).add("error", error.getMessage())
                        .add("action", "the disk under this spool reported a write error: check the kernel log "
                                + "(dmesg) and the device; waiting deliveries are deferred (4.3.0) and retried")
                        .error(LOG);
            }
            for (Waiter waiter : batch) {
                complete(waiter, error, failuresNow);
            }
            lock.lock();
            try {
                if (running || pending.isEmpty()) {
                    return; // someone leads already, or nothing to sync
                }
                running = true;
            } finally {
                lock.unlock();
            }
        }
    }

    private static void complete(Waiter waiter, IOException error, long failuresNow) {
        if (error != null) {
            waiter.durable().completeExceptionally(new IOException(error.getMessage(), error));
        } else if (failuresNow != waiter.failuresBefore()) {
            waiter.durable().completeExceptionally(
                    new IOException("a sync of this file system failed while this message was being written"));
        } else {
            waiter.durable().complete(null);
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

    /** Deliveries waiting for a sync that has not started yet (for tests that must know one waits). */
    int waiting() {
        lock.lock();
        try {
            return pending.size();
        } finally {
            lock.unlock();
        }
    }
}
