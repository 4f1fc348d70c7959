package io.postern.queue;

import io.micrometer.core.instrument.MeterRegistry;
import io.postern.config.QueueConfig;
import io.postern.mail.DeliveryAgent;
import io.postern.mail.MailAddress;
import io.postern.mail.MessageSink;
import io.postern.net.Threads;
import io.postern.observability.LogLine;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The node-local durable queue, assembled after Postfix's qmgr: its {@link MessageSink} for the
 * front ends ({@link QueueSink}), the schedule ({@link DeliveryScheduler}), the destination table
 * ({@link DestinationTable}), one attempt ({@link Attempt}), the bookkeeping ({@link Bookkeeping}),
 * the DSNs ({@link Bouncer}), the operator's operations ({@link QueueAdmin}) and the start-up scan
 * ({@link Recovery}). Owns the queue directory exclusively through a lock file: a second node, or
 * the offline CLI while a node runs, is refused. Thread-safe.
 *
 * <p>Online ({@link #start}): recovers what a previous run left (see {@link #recovered()}),
 * then delivers through the {@link DeliveryAgent} given by {@link #setDeliveryAgent}; until one
 * is given, messages are accepted and held in the queue. Offline ({@link #openOffline}): the
 * same operations on a stopped node's directory; nothing is delivered.
 */
public final class MailQueue implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(MailQueue.class);

    private final FileChannel lock;
    private final QueueFiles files;
    private final GroupCommitter committer;
    private final QueueStore store;
    private final QueueSink sink;
    private final DeliveryScheduler scheduler;
    private final ExecutorService threads = Threads.virtual("queue-worker");
    private final CompletableFuture<Integer> recovered = new CompletableFuture<>();
    private final long firstNewId;
    private final boolean online;
    private final QueueAdmin admin;

    private MailQueue(QueueConfig config, String hostname, MailAddress postmaster, MeterRegistry registry, Clock clock,
                      IoHooks hooks, boolean online) throws IOException {
        this.online = online;
        this.files = QueueFiles.open(config.directory());
        this.lock = files.tryLock().orElseThrow(() -> new IOException("queue directory " + files.root
                + " is in use by another process (a running node?)"));
        this.committer = new GroupCommitter(files.messages, hooks, config.commitBatchSize(), config.commitMaxDelay(),
                config.commitSyncThreads());
        this.store = new QueueStore(files, committer, hooks);
        QueueId ids = new QueueId(clock);
        // Above every id on disk, whatever the clock says now (it may have been set back since they were
        // made): recovery takes every older id for a message of an earlier run, and no new id can be taken.
        ids.advancePast(files.greatestId());
        this.firstNewId = ids.next();
        this.sink = new QueueSink(files, committer, ids, clock, hooks, threads, this::accepted, new DeliveryLog(registry),
                this::deliveredBeforeReply);
        Bouncer bouncer = new Bouncer(config, hostname, postmaster, store, sink, registry, clock);
        Bookkeeping bookkeeping = new Bookkeeping(store, bouncer, registry);
        this.scheduler = new DeliveryScheduler(config, store, clock, registry, bookkeeping, threads, firstNewId);
        this.admin = new QueueAdmin(config, clock, files, store, scheduler, bookkeeping, online);
    }

    /** Opens the queue, recovers it in the background and starts delivering (once an agent is set). */
    public static MailQueue start(QueueConfig config, String hostname, MailAddress postmaster, MeterRegistry registry,
                                  Clock clock, IoHooks hooks) throws IOException {
        MailQueue queue = new MailQueue(config, hostname, postmaster, registry, clock, hooks, true);
        queue.files.clearTmp();
        queue.scheduler.start();
        Threads.daemon("queue-recovery", queue.recovery()::run).start();
        return queue;
    }

    /**
     * The queue without a dispatcher thread, recovered before this returns: nothing is delivered
     * until {@link #runDue} is called, on the caller's thread, at the injected clock's time. For
     * tests and tools that drive the schedule step by step.
     */
    static MailQueue startStepped(QueueConfig config, String hostname, MailAddress postmaster, MeterRegistry registry,
                                  Clock clock, IoHooks hooks) throws IOException {
        MailQueue queue = new MailQueue(config, hostname, postmaster, registry, clock, hooks, true);
        queue.files.clearTmp();
        queue.recovery().run();
        return queue;
    }

    private Recovery recovery() {
        return new Recovery(files, store, scheduler, firstNewId, recovered);
    }

    public static MailQueue start(QueueConfig config, String hostname, MailAddress postmaster, MeterRegistry registry)
            throws IOException {
        return start(config, hostname, postmaster, registry, Clock.systemUTC(), IoHooks.NONE);
    }

    /** A stopped node's queue, for the operator's commands; refused while a node holds the directory. */
    public static MailQueue openOffline(QueueConfig config, String hostname, MailAddress postmaster,
                                        MeterRegistry registry) throws IOException {
        MailQueue queue = new MailQueue(config, hostname, postmaster, registry, Clock.systemUTC(), IoHooks.NONE, false);
        queue.files.clearTmp();
        queue.recovered.complete(0);
        return queue;
    }

    public MessageSink sink() {
        return sink;
    }

    /** The seam for the delivery layer: until it is called, accepted messages wait in the queue. */
    public void setDeliveryAgent(DeliveryAgent agent) {
        scheduler.setAgent(agent);
    }

    /**
     * Roles {@code all} and {@code front} with hand-off: messages whose recipients are all local are
     * delivered (or handed to a delivery worker) before the reply and never queued (see
     * {@link QueueSink}); only what is left enters the queue.
     */
    public void setDirectDelivery(io.postern.mail.DirectDelivery delivery) {
        if (online) {
            sink.setDirect(delivery);
        }
    }

    /** Completes with the number of messages found when the start-up scan is done. */
    public CompletableFuture<Integer> recovered() {
        return recovered;
    }

    public QueueAdminApi adminApi() {
        return new QueueAdminApi(this);
    }

    /**
     * Makes the scheduler look at the clock again (tests that move a fake clock); returns the
     * number of the last quiet pass, to wait beyond (see {@link #lastQuietPass()}).
     */
    long poke() {
        return scheduler.wake();
    }

    DeliveryScheduler.QuietPass lastQuietPass() {
        return scheduler.lastQuietPass();
    }

    /** The step function: runs every attempt due now on this thread; returns how many ran (see {@link #startStepped}). */
    int runDue() {
        return scheduler.runDue();
    }

    /**
     * The directory answers again (after it could not): mail deferred only because of it is retried
     * now rather than at its next retry slot. Returns how many messages were made due. Called by the
     * directory's health tracker on its way back up.
     */
    public int directoryAnswers() {
        return scheduler.directoryAnswers();
    }

    long fsyncCount() {
        return committer.fsyncCount();
    }

    long batchCount() {
        return committer.batchCount();
    }

    private void accepted(QueueRecord record) {
        // The sender, client and login come from the client: a quoted local part may hold
        // " key=value", so the line is built by LogLine, never by formatting.
        LogLine.event("queued").add("id", record.queueId())
                .add("from", "<" + record.envelope().sender().map(MailAddress::toString).orElse("") + ">")
                .add("nrcpt", record.recipients().size()).add("size", record.contentSize())
                .add("origin", record.origin().name().toLowerCase(java.util.Locale.ROOT))
                .add("client", record.envelope().trace().clientAddress())
                .add("auth", record.envelope().trace().authenticatedUser().orElse("-")).info(LOG);
        if (online) {
            store.remember(record);
            scheduler.track(record);
        }
    }

    private void deliveredBeforeReply(QueueRecord record) {
        LogLine.event("delivered-before-reply").add("id", record.queueId())
                .add("from", "<" + record.envelope().sender().map(MailAddress::toString).orElse("") + ">")
                .add("nrcpt", record.recipients().size()).add("size", record.contentSize())
                .add("client", record.envelope().trace().clientAddress())
                .add("auth", record.envelope().trace().authenticatedUser().orElse("-")).info(LOG);
    }

    // ---- operator operations (see QueueAdmin) ----------------------------------------------

    /** The outcome of an operator command on one message. */
    public enum Result { DONE, NOT_FOUND, BUSY, FAILED }

    /** One line of {@code postern queue list}. */
    public record Summary(String id, long size, Instant arrival, String state, String sender, int recipients,
                          int pending, String lastProblem) {
    }

    public List<Summary> list(int limit, AtomicInteger more) {
        return admin.list(limit, more);
    }

    /** The stored facts about one message (never its content), or empty. */
    public Optional<String> show(String queueId) {
        return admin.show(queueId);
    }

    /** Every message is tried now (destination backoffs are reset). Returns how many were made due. */
    public int flush() {
        return admin.flush();
    }

    public Result hold(String queueId) {
        return admin.hold(queueId);
    }

    public Result release(String queueId) {
        return admin.release(queueId);
    }

    public Result delete(String queueId) {
        return admin.delete(queueId);
    }

    /** Fails every pending recipient now (DSN to the sender as for any failure) and removes the message. */
    public Result bounce(String queueId) {
        return admin.bounce(queueId);
    }

    @Override
    public void close() {
        scheduler.close();
        threads.shutdown();
        try {
            // Let running attempts write their results, so a clean stop never re-offers a recipient.
            threads.awaitTermination(10, java.util.concurrent.TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        committer.close();
        try {
            lock.close();
        } catch (IOException e) {
            // the lock goes with the process anyway
        }
    }
}
