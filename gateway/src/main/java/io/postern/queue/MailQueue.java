package io.postern.queue;

import io.micrometer.core.instrument.MeterRegistry;
import io.postern.config.QueueConfig;
import io.postern.mail.DeliveryAgent;
import io.postern.mail.Envelope;
import io.postern.mail.EnvelopeRecipient;
import io.postern.mail.MailAddress;
import io.postern.mail.MessageSink;
import io.postern.mail.SinkException;
import io.postern.observability.LogLine;
import io.postern.queue.QueueRecord.Origin;
import io.postern.queue.QueueRecord.RecipientState;
import io.postern.queue.QueueRecord.Status;
import io.postern.queue.QueueRecordCodec.CorruptRecordException;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The node-local durable queue: its {@link MessageSink} for the front ends, its scheduler, DSN
 * generation and the operator's operations (list, show, flush, hold, release, delete, bounce).
 * Owns the queue directory exclusively through a lock file: a second node, or the offline CLI
 * while a node runs, is refused. Thread-safe.
 *
 * <p>Online ({@link #start}): recovers what a previous run left (see {@link #recovered()}),
 * then delivers through the {@link DeliveryAgent} given by {@link #setDeliveryAgent}; until one
 * is given, messages are accepted and held in the queue. Offline ({@link #openOffline}): the
 * same operations on a stopped node's directory; nothing is delivered.
 */
public final class MailQueue implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(MailQueue.class);

    private final QueueConfig config;
    private final String hostname;
    private final MailAddress postmaster;
    private final Clock clock;
    private final FileChannel lock;
    private final QueueFiles files;
    private final GroupCommitter committer;
    private final QueueStore store;
    private final QueueSink sink;
    private final DeliveryScheduler scheduler;
    private final ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor();
    private final CompletableFuture<Integer> recovered = new CompletableFuture<>();
    private final long firstNewId;
    private final boolean online;
    private final NoticeRateLimiter noticeLimiter;
    private final MeterRegistry registry;

    private MailQueue(QueueConfig config, String hostname, MailAddress postmaster, MeterRegistry registry, Clock clock,
                      IoHooks hooks, boolean online) throws IOException {
        this.config = config;
        this.hostname = hostname;
        this.postmaster = postmaster;
        this.clock = clock;
        this.online = online;
        this.registry = registry;
        this.noticeLimiter = new NoticeRateLimiter(config.bounceRateLimit(), config.bounceRateWindow(), clock);
        this.files = QueueFiles.open(config.directory());
        this.lock = files.tryLock().orElseThrow(() -> new IOException("queue directory " + files.root
                + " is in use by another process (a running node?)"));
        this.committer = new GroupCommitter(files.messages, hooks, config.commitBatchSize(), config.commitMaxDelay(),
                config.commitSyncThreads());
        this.store = new QueueStore(files, committer, hooks);
        QueueId ids = new QueueId(clock);
        this.firstNewId = ids.next();
        this.scheduler = new DeliveryScheduler(config, store, clock, registry, this::sendNotices, threads,
                firstNewId);
        this.sink = new QueueSink(files, committer, ids, clock, hooks, threads, this::accepted);
    }

    /** Opens the queue, recovers it in the background and starts delivering (once an agent is set). */
    public static MailQueue start(QueueConfig config, String hostname, MailAddress postmaster, MeterRegistry registry,
                                  Clock clock, IoHooks hooks) throws IOException {
        MailQueue queue = new MailQueue(config, hostname, postmaster, registry, clock, hooks, true);
        queue.files.clearTmp();
        queue.scheduler.start();
        Thread.ofPlatform().name("queue-recovery").daemon().start(queue::recover);
        return queue;
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

    long fsyncCount() {
        return committer.fsyncCount();
    }

    long batchCount() {
        return committer.batchCount();
    }

    // ---- recovery -----------------------------------------------------------------------------

    private void recover() {
        AtomicInteger found = new AtomicInteger();
        try {
            files.forEachContent(id -> {
                if (id < firstNewId && !Files.exists(files.envelope(id))) {
                    // Content without envelope: the commit never reached its commit point, so it was never acknowledged.
                    QueueSink.deleteQuietly(files.content(id));
                    LOG.info("event=orphan-removed id={}", QueueId.format(id));
                }
            });
            files.forEachEnvelope(id -> {
                if (id >= firstNewId) {
                    return;
                }
                try {
                    Optional<QueueRecord> record = store.read(id);
                    if (record.isEmpty()) {
                        return;
                    }
                    if (!Files.exists(files.content(id)) || Files.size(files.content(id)) != record.get().contentSize()) {
                        throw new CorruptRecordException("content missing or of the wrong size");
                    }
                    scheduler.track(record.get());
                    found.incrementAndGet();
                } catch (CorruptRecordException e) {
                    LogLine.event("corrupt").add("id", QueueId.format(id)).add("problem", e.getMessage())
                            .add("action", "moved-to-corrupt").error(LOG);
                    store.quarantine(id);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            });
            LogLine.event("queue-recovered").add("messages", found.get()).add("directory", files.root).info(LOG);
            recovered.complete(found.get());
        } catch (IOException | RuntimeException e) {
            LogLine.event("queue-recovery-failed").add("error", e.toString()).error(LOG);
            recovered.completeExceptionally(e);
        }
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
            scheduler.track(record);
        }
    }

    // ---- DSNs ---------------------------------------------------------------------------------

    private QueueRecord sendNotices(QueueRecord record, Instant now) throws IOException {
        List<RecipientState> states = new ArrayList<>(record.recipients());
        List<RecipientState> failed = new ArrayList<>();
        List<RecipientState> delivered = new ArrayList<>();
        for (int i = 0; i < states.size(); i++) {
            RecipientState s = states.get(i);
            if (s.reported() || s.status() == Status.PENDING) {
                continue;
            }
            var notify = s.recipient().dsnNotify();
            if (s.status() == Status.FAILED && !notify.contains(EnvelopeRecipient.DsnNotify.NEVER)
                    && (notify.isEmpty() || notify.contains(EnvelopeRecipient.DsnNotify.FAILURE))) {
                failed.add(s);
            } else if (s.status() == Status.DELIVERED && notify.contains(EnvelopeRecipient.DsnNotify.SUCCESS)) {
                delivered.add(s);
            }
            states.set(i, s.markReported());
        }
        Optional<MailAddress> sender = record.envelope().sender();
        boolean userMessage = record.origin() == Origin.MESSAGE && sender.isPresent();
        if (!failed.isEmpty()) {
            if (userMessage) {
                notifySender(record, failed, DeliveryReport.Kind.FAILED, sender.get(), now);
            } else if (record.origin() != Origin.POSTMASTER) {
                // Never bounce to a null sender; the postmaster hears about undeliverable notices instead.
                enqueueReport(record, failed, DeliveryReport.Kind.FAILED, postmaster, Origin.POSTMASTER, now);
            } else {
                LOG.warn("event=notice-dropped id={} reason=\"postmaster notice undeliverable\"", record.queueId());
            }
        }
        if (!delivered.isEmpty() && userMessage) {
            notifySender(record, delivered, DeliveryReport.Kind.DELIVERED, sender.get(), now);
        }
        QueueRecord result = record.withRecipients(states);
        if (!config.delayNotice().isZero() && !record.delayNotified() && userMessage && !result.done()
                && !now.isBefore(record.arrival().plus(config.delayNotice()))) {
            List<RecipientState> delayed = result.pending().stream()
                    .filter(s -> s.recipient().dsnNotify().isEmpty()
                            || s.recipient().dsnNotify().contains(EnvelopeRecipient.DsnNotify.DELAY))
                    .toList();
            if (!delayed.isEmpty()) {
                notifySender(record, delayed, DeliveryReport.Kind.DELAYED, sender.get(), now);
            }
            result = result.withDelayNotified();
        }
        return result;
    }

    /**
     * A notice to the message's sender. When the session neither logged in nor came from a trusted
     * network, the sender may be forged and the notice backscatter: such notices are limited per
     * recipient domain ({@code queue.bounceRateLimit} per {@code queue.bounceRateWindow}), and one
     * over the limit is dropped, not deferred (deferring would only keep a flood in the queue and
     * send it later), with an {@code event=notice-dropped reason=rate-limit} line and
     * {@code postern.queue.notices{outcome=rate-limited}}. The delivery log lines keep every failure.
     */
    private void notifySender(QueueRecord record, List<RecipientState> recipients, DeliveryReport.Kind kind,
                              MailAddress sender, Instant now) throws IOException {
        if (!record.envelope().trace().trustedClient() && !noticeLimiter.tryAcquire(sender.domain())) {
            registry.counter("postern.queue.notices", "kind", kind.action, "outcome", "rate-limited").increment();
            LogLine.event("notice-dropped").add("id", record.queueId()).add("kind", kind.action)
                    .add("to", "<" + sender + ">").add("recipients", recipients.size()).add("reason", "rate-limit")
                    .info(LOG);
            return;
        }
        enqueueReport(record, recipients, kind, sender, Origin.NOTICE, now);
        registry.counter("postern.queue.notices", "kind", kind.action, "outcome", "queued").increment();
    }

    private void enqueueReport(QueueRecord record, List<RecipientState> recipients, DeliveryReport.Kind kind,
                               MailAddress to, Origin origin, Instant now) throws IOException {
        Envelope envelope = new Envelope(Optional.empty(), List.of(EnvelopeRecipient.of(to)),
                Envelope.BodyType.EIGHT_BIT_MIME, record.envelope().smtpUtf8(), Optional.empty(), Optional.empty(),
                new Envelope.SessionTrace("127.0.0.1", hostname, hostname, "local", Optional.empty(), Optional.empty(),
                        now));
        QueueSink.SpoolingMessage message;
        try {
            message = sink.open(envelope, origin);
        } catch (SinkException e) {
            throw new IOException(e.getMessage(), e);
        }
        try {
            OutputStream out = new OutputStream() {
                @Override
                public void write(int b) throws IOException {
                    write(new byte[] {(byte) b}, 0, 1);
                }

                @Override
                public void write(byte[] b, int off, int len) throws IOException {
                    try {
                        message.write(b, off, len);
                    } catch (SinkException e) {
                        throw new IOException(e.getMessage(), e);
                    }
                }
            };
            DeliveryReport.write(out, record, recipients, kind, to.toString(), hostname, now,
                    record.arrival().plus(config.maxLifetime()), store.content(record.id(), record.contentSize()),
                    config.bounceSizeLimit());
        } catch (IOException | RuntimeException e) {
            message.abort();
            throw e instanceof IOException io ? io : new IOException(e);
        }
        try {
            String id = message.commit().join().queueId();
            LogLine.event("notice").add("id", record.queueId()).add("notice", id).add("kind", kind.action)
                    .add("to", "<" + to + ">").add("recipients", recipients.size()).info(LOG);
        } catch (CompletionException e) {
            throw new IOException("cannot enqueue the " + kind.action + " notice", e.getCause());
        }
    }

    // ---- operator operations ------------------------------------------------------------------

    /** The outcome of an operator command on one message. */
    public enum Result { DONE, NOT_FOUND, BUSY, FAILED }

    /** One line of {@code postern queue list}. */
    public record Summary(String id, long size, Instant arrival, String state, String sender, int recipients,
                          int pending, String lastProblem) {
    }

    public List<Summary> list(int limit, AtomicInteger more) {
        List<Summary> out = new ArrayList<>();
        try {
            files.forEachEnvelope(id -> {
                if (out.size() >= limit) {
                    more.incrementAndGet();
                    return;
                }
                current(id).ifPresent(r -> out.add(summary(r)));
            });
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        out.sort(java.util.Comparator.comparing(Summary::id));
        return out;
    }

    private Summary summary(QueueRecord r) {
        String state = r.held() ? "hold" : scheduler.isActive(r.id()) ? "active" : r.attempts() > 0 ? "deferred"
                : "incoming";
        String problem = r.pending().stream().map(RecipientState::diagnostic).filter(d -> !d.isEmpty()).findFirst()
                .orElse("");
        return new Summary(r.queueId(), r.contentSize(), r.arrival(), state,
                r.envelope().sender().map(MailAddress::toString).orElse(""), r.recipients().size(), r.pending().size(),
                problem);
    }

    /** The stored facts about one message (never its content), or empty. */
    public Optional<String> show(String queueId) {
        long id = QueueId.parse(queueId);
        if (id < 0) {
            return Optional.empty();
        }
        return current(id).map(r -> {
            StringBuilder out = new StringBuilder();
            Summary s = summary(r);
            Envelope e = r.envelope();
            out.append("id: ").append(r.queueId()).append('\n');
            out.append("state: ").append(s.state()).append('\n');
            out.append("origin: ").append(r.origin().name().toLowerCase(java.util.Locale.ROOT)).append('\n');
            out.append("size: ").append(r.contentSize()).append('\n');
            out.append("arrival: ").append(r.arrival()).append('\n');
            out.append("attempts: ").append(r.attempts()).append('\n');
            out.append("next-attempt: ").append(r.nextAttempt()).append('\n');
            out.append("expires: ").append(r.arrival().plus(config.maxLifetime())).append('\n');
            out.append("sender: <").append(s.sender()).append(">\n");
            e.dsnReturn().ifPresent(ret -> out.append("ret: ").append(ret).append('\n'));
            e.dsnEnvelopeId().ifPresent(envid -> out.append("envid: ").append(DeliveryReport.clean(envid.value())).append('\n'));
            Envelope.SessionTrace t = e.trace();
            out.append("client: ").append(DeliveryReport.clean(t.clientName())).append(" [")
                    .append(DeliveryReport.clean(t.clientAddress())).append("] helo=")
                    .append(DeliveryReport.clean(t.heloName())).append(" protocol=").append(t.protocol()).append('\n');
            t.authenticatedUser().ifPresent(u -> out.append("auth: ").append(DeliveryReport.clean(u)).append('\n'));
            t.tlsCipher().ifPresent(c -> out.append("tls: ").append(c).append('\n'));
            for (RecipientState rs : r.recipients()) {
                out.append("recipient: <").append(rs.recipient().address()).append("> ")
                        .append(rs.status().name().toLowerCase(java.util.Locale.ROOT));
                if (!rs.code().isEmpty()) {
                    out.append(' ').append(rs.code());
                }
                rs.remoteMta().ifPresent(m -> out.append(" relay=").append(DeliveryReport.clean(m)));
                if (!rs.diagnostic().isEmpty()) {
                    out.append(" (").append(DeliveryReport.clean(rs.diagnostic())).append(')');
                }
                out.append('\n');
            }
            return out.toString();
        });
    }

    /** Every message is tried now (destination backoffs are reset). Returns how many were made due. */
    public int flush() {
        if (online) {
            scheduler.flush();
            return -1;
        }
        AtomicInteger count = new AtomicInteger();
        Instant now = clock.instant();
        try {
            files.forEachEnvelope(id -> current(id).filter(r -> !r.held()).ifPresent(r -> {
                store.rewrite(r.withSchedule(r.attempts(), now)).join();
                count.incrementAndGet();
            }));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return count.get();
    }

    public Result hold(String queueId) {
        return change(queueId, r -> {
            if (!r.held()) {
                store.rewrite(r.withHeld(true, r.nextAttempt())).join();
                scheduler.countHold(1);
                LOG.info("event=hold id={}", r.queueId());
            }
            return -1L;
        });
    }

    public Result release(String queueId) {
        Instant now = clock.instant();
        return change(queueId, r -> {
            if (!r.held()) {
                return -1L;
            }
            store.rewrite(r.withHeld(false, now)).join();
            scheduler.countHold(-1);
            LOG.info("event=released id={}", r.queueId());
            return now.toEpochMilli();
        });
    }

    public Result delete(String queueId) {
        return change(queueId, r -> {
            store.remove(r.id()).join();
            scheduler.forget(r.id());
            scheduler.countRemoved(r);
            LogLine.event("deleted").add("id", r.queueId())
                    .add("from", "<" + r.envelope().sender().map(MailAddress::toString).orElse("") + ">")
                    .add("by", "operator").info(LOG);
            return -1L;
        });
    }

    /** Fails every pending recipient now (DSN to the sender as for any failure) and removes the message. */
    public Result bounce(String queueId) {
        Instant now = clock.instant();
        return change(queueId, r -> {
            List<RecipientState> states = new ArrayList<>();
            for (RecipientState s : r.recipients()) {
                states.add(s.status() == Status.PENDING
                        ? s.with(Status.FAILED, "5.0.0", "returned to sender by the mail system administrator",
                        s.remoteMta()) : s);
            }
            LOG.info("event=bounced id={} by=operator", r.queueId());
            return scheduler.finish(r.withRecipients(states), now);
        });
    }

    private interface Change {
        long apply(QueueRecord record);
    }

    private Result change(String queueId, Change change) {
        long id = QueueId.parse(queueId);
        if (id < 0) {
            return Result.NOT_FOUND;
        }
        AtomicReference<Result> result = new AtomicReference<>(Result.NOT_FOUND);
        long[] next = {-1};
        boolean ran = scheduler.exclusively(id, () -> current(id).ifPresent(r -> {
            try {
                next[0] = change.apply(r);
                result.set(Result.DONE);
            } catch (RuntimeException e) {
                LogLine.event("operation-failed").add("id", queueId).add("error", e.toString()).warn(LOG);
                result.set(Result.FAILED);
            }
        }));
        if (!ran) {
            return Result.BUSY;
        }
        if (next[0] >= 0 && online) {
            scheduler.schedule(next[0], id);
        }
        return result.get();
    }

    private Optional<QueueRecord> current(long id) {
        Optional<QueueRecord> inMemory = scheduler.unrecorded(id);
        if (inMemory.isPresent()) {
            return inMemory;
        }
        try {
            return store.read(id);
        } catch (IOException | CorruptRecordException e) {
            return Optional.empty();
        }
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
