package io.postern.queue;

import io.postern.net.Threads;
import io.postern.observability.LogLine;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Makes queue changes durable in two stages. First each change's files are fsync'd on a pool of
 * {@code syncThreads} threads, so concurrent messages' fsyncs overlap and the file system merges
 * them into shared journal commits (ext4/jbd2 and XFS batch concurrent fsyncs). Then one thread
 * takes every change that is ready (up to {@code batchSize}, optionally waiting {@code maxDelay}
 * for more), renames them into place and fsyncs the {@code messages/} directory once for the
 * whole batch; while it syncs, the next batch gathers. A change's future completes only after
 * both stages returned; on any I/O error it completes exceptionally and its {@code undo} removes
 * whatever was renamed, so nothing that is not durable stays visible. Thread-safe.
 */
final class GroupCommitter implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(GroupCommitter.class);

    /** One durable change: sync these channels, then these renames and deletions; undo on failure. */
    record Change(List<FileChannel> sync, List<Path[]> renames, List<Path> deletes, Runnable undo,
                  CompletableFuture<Void> done) {
        Change {
            sync = List.copyOf(sync);
            renames = List.copyOf(renames);
            deletes = List.copyOf(deletes);
        }
    }

    private final Path directory;
    private final IoHooks hooks;
    private final int batchSize;
    private final Duration maxDelay;
    private final BlockingQueue<Change> waiting = new LinkedBlockingQueue<>();
    private final LongAdder fsyncs = new LongAdder();
    private final LongAdder batches = new LongAdder();
    private final Thread thread;
    private final ExecutorService syncers;
    private volatile boolean closed;

    GroupCommitter(Path directory, IoHooks hooks, int batchSize, Duration maxDelay, int syncThreads) {
        this.directory = directory;
        this.hooks = hooks;
        this.batchSize = batchSize;
        this.maxDelay = maxDelay;
        this.syncers = Threads.fixed("queue-fsync", syncThreads);
        this.thread = Threads.daemon("queue-commit", this::run);
        thread.start();
    }

    CompletableFuture<Void> submit(List<FileChannel> sync, List<Path[]> renames, List<Path> deletes, Runnable undo) {
        Change change = new Change(sync, renames, deletes, undo, new CompletableFuture<>());
        if (closed) {
            undo.run();
            change.done().completeExceptionally(new IOException("queue is closed"));
            return change.done();
        }
        if (change.sync().isEmpty()) {
            waiting.add(change);
            return change.done();
        }
        try {
            syncers.execute(() -> {
                try {
                    for (FileChannel channel : change.sync()) {
                        fsync(channel, null);
                    }
                    waiting.add(change);
                } catch (IOException e) {
                    LogLine.event("fsync-failed").add("error", e.toString()).warn(LOG);
                    fail(List.of(change), e);
                }
            });
        } catch (java.util.concurrent.RejectedExecutionException e) {
            fail(List.of(change), new IOException("queue is closed"));
        }
        return change.done();
    }

    long fsyncCount() {
        return fsyncs.sum();
    }

    long batchCount() {
        return batches.sum();
    }

    private void run() {
        List<Change> batch = new ArrayList<>();
        while (!closed || !waiting.isEmpty()) {
            try {
                Change first = waiting.poll(200, TimeUnit.MILLISECONDS);
                if (first == null) {
                    continue;
                }
                batch.add(first);
                waiting.drainTo(batch, batchSize - 1);
                if (!maxDelay.isZero()) {
                    long deadline = System.nanoTime() + maxDelay.toNanos();
                    while (batch.size() < batchSize) {
                        Change more = waiting.poll(deadline - System.nanoTime(), TimeUnit.NANOSECONDS);
                        if (more == null) {
                            break;
                        }
                        batch.add(more);
                        waiting.drainTo(batch, batchSize - batch.size());
                    }
                }
                commit(batch);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            } catch (RuntimeException e) {
                LogLine.event("commit-failed").add("error", e.toString()).error(LOG);
                fail(batch, new IOException(e));
            } finally {
                batch.clear();
            }
        }
        List<Change> left = new ArrayList<>();
        waiting.drainTo(left);
        fail(left, new IOException("queue is closed"));
    }

    private void commit(List<Change> batch) {
        batches.increment();
        List<Change> ok = new ArrayList<>(batch.size());
        for (Change change : batch) {
            try {
                for (Path[] rename : change.renames()) {
                    Files.move(rename[0], rename[1], StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
                }
                for (Path delete : change.deletes()) {
                    Files.deleteIfExists(delete);
                }
                ok.add(change);
            } catch (IOException e) {
                LogLine.event("commit-failed").add("error", e.toString()).warn(LOG);
                fail(List.of(change), e);
            } finally {
                closeAll(change);
            }
        }
        if (ok.isEmpty()) {
            return;
        }
        try (FileChannel dir = FileChannel.open(directory, StandardOpenOption.READ)) {
            fsync(dir, directory);
        } catch (IOException e) {
            LogLine.event("directory-sync-failed").add("error", e.toString()).warn(LOG);
            fail(ok, e);
            return;
        }
        for (Change change : ok) {
            change.done().complete(null);
        }
    }

    private void fsync(FileChannel channel, Path pathForHooks) throws IOException {
        hooks.beforeFsync(pathForHooks == null ? directory : pathForHooks);
        channel.force(true);
        fsyncs.increment();
    }

    private static void closeAll(Change change) {
        for (FileChannel channel : change.sync()) {
            try {
                channel.close();
            } catch (IOException e) {
                // the fsync result is what counts; a failing close after it changes nothing
            }
        }
    }

    private static void fail(List<Change> changes, IOException e) {
        for (Change change : changes) {
            closeAll(change);
            try {
                change.undo().run();
            } catch (RuntimeException undoFailure) {
                LogLine.event("commit-undo-failed").add("error", undoFailure.toString()).warn(LOG);
            }
            change.done().completeExceptionally(e);
        }
    }

    @Override
    public void close() {
        syncers.shutdown();
        try {
            syncers.awaitTermination(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        closed = true;
        try {
            thread.join(10_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
