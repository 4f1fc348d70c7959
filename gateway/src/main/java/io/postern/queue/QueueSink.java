package io.postern.queue;

import io.postern.config.FileAccess;
import io.postern.mail.Acceptance;
import io.postern.mail.DeliveryResult;
import io.postern.mail.DirectDelivery;
import io.postern.mail.EnhancedStatus;
import io.postern.mail.Envelope;
import io.postern.mail.IncomingMessage;
import io.postern.mail.MemoryContent;
import io.postern.mail.MessageSink;
import io.postern.mail.QueuedMessage;
import io.postern.mail.SinkException;
import io.postern.queue.QueueRecord.Origin;
import io.postern.queue.QueueRecord.RecipientState;
import io.postern.queue.QueueRecord.Status;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;

/**
 * The queue as a {@link MessageSink}: content streams into {@code tmp/ID.msg}; commit writes the
 * envelope to {@code tmp/}, hands both to the {@link GroupCommitter} (fsync, rename into
 * {@code messages/}, directory fsync) and completes with the queue id only after that. Any write
 * or sync error completes with {@link SinkException} {@code 4.3.1} and removes the files; nothing
 * is sticky, so the next message tries the disk again (recovery when space returns is automatic).
 *
 * <p>With a {@link DirectDelivery} (role {@code all}, and role {@code front} handing over to delivery
 * workers), a message that fits in the write buffer is
 * kept in memory and offered to it first: if every recipient is local and delivered, the spools
 * hold it durably and no queue file is ever created; what is left (a deferral, a failure to
 * report, a remote target) is committed as a queue record whose delivered recipients are done and
 * whose next attempt is a repeat, due at once. Either way the future completes only when the
 * message is durable somewhere, so the {@code 250} keeps its meaning.
 * Thread-safe; each {@link IncomingMessage} is used by one session at a time.
 */
final class QueueSink implements MessageSink {
    static final EnhancedStatus NO_SPACE = EnhancedStatus.STORAGE_TEMPORARY;
    private static final int BUFFER = 64 * 1024;

    private final QueueFiles files;
    private final GroupCommitter committer;
    private final QueueId ids;
    private final Clock clock;
    private final IoHooks hooks;
    private final Executor completions;
    private final Consumer<QueueRecord> onDurable;
    private final AtomicLong serial = new AtomicLong();
    private final DeliveryLog log;
    private final Consumer<QueueRecord> onDelivered;
    private volatile DirectDelivery direct;

    QueueSink(QueueFiles files, GroupCommitter committer, QueueId ids, Clock clock, IoHooks hooks, Executor completions,
              Consumer<QueueRecord> onDurable, DeliveryLog log, Consumer<QueueRecord> onDelivered) {
        this.log = log;
        this.onDelivered = onDelivered;
        this.files = files;
        this.committer = committer;
        this.ids = ids;
        this.clock = clock;
        this.hooks = hooks;
        this.completions = completions;
        this.onDurable = onDurable;
    }

    /**
     * Delivery before the reply for messages whose recipients are all local (role {@code all}: the
     * spools here; role {@code front}: the delivery workers over LMTP); null: none.
     */
    void setDirect(DirectDelivery delivery) {
        this.direct = delivery;
    }

    @Override
    public IncomingMessage open(Envelope envelope) throws SinkException {
        return open(envelope, Origin.MESSAGE);
    }

    SpoolingMessage open(Envelope envelope, Origin origin) throws SinkException {
        if (envelope.recipients().isEmpty()) {
            throw new IllegalArgumentException("a message needs at least one recipient");
        }
        for (int tries = 0; tries < 100; tries++) {
            // Never a live id: the generator starts above every id on disk and only this process (the
            // queue's lock holder) adds files. CREATE_NEW below still refuses a clash rather than overwrite.
            long id = ids.next();
            Path tmp = files.tmpContent(id);
            try {
                // Offered for direct delivery: the file is made only if the message outgrows the buffer.
                FileChannel channel = null;
                if (direct == null || origin != Origin.MESSAGE) {
                    hooks.beforeWrite(tmp);
                    channel = QueueFiles.ACCESS.create(tmp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
                }
                return new SpoolingMessage(id, envelope, origin, tmp, channel);
            } catch (java.nio.file.FileAlreadyExistsException e) {
                continue;
            } catch (IOException e) {
                throw new SinkException(NO_SPACE, "cannot create a queue file: " + e.getMessage(), e);
            }
        }
        throw new SinkException(NO_SPACE, "cannot find a free queue id");
    }

    /** {@link SinkException} from a failed commit future, whatever wrapped it. */
    static SinkException sinkFailure(Throwable t) {
        Throwable cause = t instanceof CompletionException && t.getCause() != null ? t.getCause() : t;
        return cause instanceof SinkException s ? s
                : new SinkException(NO_SPACE, "cannot make the message durable: " + cause.getMessage(), cause);
    }

    /** One message being received. Mutable, one session at a time. */
    final class SpoolingMessage implements IncomingMessage {
        private final long id;
        private Envelope envelope;
        private boolean held;
        private final Origin origin;
        private final Path tmpContent;
        private FileChannel channel;
        private final ByteBuffer buffer = ByteBuffer.allocate(BUFFER);
        private long size;
        private boolean finished;
        private SinkException failure;

        private SpoolingMessage(long id, Envelope envelope, Origin origin, Path tmpContent, FileChannel channel) {
            this.id = id;
            this.envelope = envelope;
            this.origin = origin;
            this.tmpContent = tmpContent;
            this.channel = channel;
        }

        @Override
        public Optional<String> queueId() {
            return Optional.of(QueueId.format(id));
        }

        /** A milter's envelope edits and quarantine: the record is written with them, held from the start. */
        @Override
        public CompletableFuture<Acceptance> commit(Envelope changed, boolean hold) {
            if (changed.recipients().isEmpty()) {
                throw new IllegalArgumentException("a message needs at least one recipient");
            }
            envelope = changed;
            held = hold;
            return commit();
        }

        @Override
        public void write(byte[] bytes, int offset, int length) throws SinkException {
            if (failure != null) {
                throw failure; // the session may keep streaming DATA after the first error
            }
            if (finished) {
                throw new IllegalStateException("message already committed or aborted");
            }
            try {
                while (length > 0) {
                    int n = Math.min(length, buffer.remaining());
                    buffer.put(bytes, offset, n);
                    offset += n;
                    length -= n;
                    size += n;
                    if (!buffer.hasRemaining()) {
                        drain();
                    }
                }
            } catch (IOException e) {
                abort();
                failure = new SinkException(NO_SPACE, "cannot write the queue file: " + e.getMessage(), e);
                throw failure;
            }
        }

        private void drain() throws IOException {
            hooks.beforeWrite(tmpContent);
            if (channel == null) {
                channel = QueueFiles.ACCESS.create(tmpContent, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
            }
            buffer.flip();
            while (buffer.hasRemaining()) {
                channel.write(buffer);
            }
            buffer.clear();
        }

        @Override
        public CompletableFuture<Acceptance> commit() {
            if (failure != null) {
                return CompletableFuture.failedFuture(failure);
            }
            if (finished) {
                throw new IllegalStateException("message already committed or aborted");
            }
            finished = true;
            DirectDelivery delivery = direct;
            if (delivery != null && channel == null && !held) {
                return direct(delivery);
            }
            QueueRecord fresh = QueueRecord.fresh(id, envelope, size, origin, clock.instant());
            // Quarantined by a milter: queued on hold from the start, never delivered before the reply.
            return persist(held ? fresh.withHeld(true, fresh.nextAttempt()) : fresh);
        }

        /** Offers the in-memory message to {@code delivery}; queues what it leaves (or all, if it declines). */
        private CompletableFuture<Acceptance> direct(DirectDelivery delivery) {
            MemoryContent content = new MemoryContent(java.util.Arrays.copyOf(buffer.array(), buffer.position()));
            java.time.Instant arrival = clock.instant();
            QueuedMessage message = new QueuedMessage(QueueId.format(id), envelope, content, QueuedMessage.Attempt.FIRST);
            CompletableFuture<Acceptance> result = new CompletableFuture<>();
            delivery.deliverIfLocal(message, envelope.recipients()).whenComplete((outcome, error) -> {
                QueueRecord record = QueueRecord.fresh(id, envelope, size, origin, arrival);
                if (error != null || outcome.isEmpty()) {
                    persist(record).whenComplete((a, e) -> complete(result, a, e));
                    return;
                }
                QueueRecord after = applied(record, outcome.get());
                if (after.pending().isEmpty() && after.recipients().stream().allMatch(r -> r.status() == Status.DELIVERED)) {
                    // On the delivery's thread, never the committer's: the session's continuation may run here.
                    try {
                        onDelivered.accept(after);
                    } finally {
                        result.complete(acceptance());
                    }
                    return;
                }
                // Delivered recipients are done; the next attempt is a repeat (the MDA finds any copy written).
                persist(after.withSchedule(1, clock.instant())).whenComplete((a, e) -> complete(result, a, e));
            });
            return result;
        }

        private static void complete(CompletableFuture<Acceptance> result, Acceptance acceptance, Throwable error) {
            if (error != null) {
                result.completeExceptionally(sinkFailure(error));
            } else {
                result.complete(acceptance);
            }
        }

        private Acceptance acceptance() {
            return new Acceptance(QueueId.format(id), envelope.recipients().stream().map(r -> Acceptance.QUEUED).toList());
        }

        /** The record with one attempt's results applied and logged, as {@link Attempt} does. */
        private QueueRecord applied(QueueRecord record, List<DeliveryResult> results) {
            List<RecipientState> states = new ArrayList<>(record.recipients());
            java.time.Duration delay = java.time.Duration.between(record.arrival(), clock.instant());
            for (DeliveryResult r : results) {
                for (int i = 0; i < states.size(); i++) {
                    RecipientState s = states.get(i);
                    if (s.status() != Status.PENDING || !s.recipient().equals(r.recipient())) {
                        continue;
                    }
                    EnhancedStatus code = r.status();
                    states.set(i, s.with(Status.of(r.outcome()), code, r.diagnostic(), r.remoteMta()));
                    log.attempt(record, s.recipient().address(), r.remoteMta().orElse("none"), delay, 1,
                            DeliveryLog.Label.of(r.outcome()), code, r.diagnostic());
                    break;
                }
            }
            return record.withRecipients(states);
        }

        /** Writes the content (if not yet on disk) and {@code record} to the queue; completes when both are durable. */
        private CompletableFuture<Acceptance> persist(QueueRecord record) {
            Path tmpEnvelope = files.tmpEnvelope(id, serial.incrementAndGet());
            FileChannel envelopeChannel = null;
            try {
                drain();
                hooks.beforeWrite(tmpEnvelope);
                envelopeChannel = QueueFiles.ACCESS.create(tmpEnvelope, StandardOpenOption.CREATE_NEW,
                        StandardOpenOption.WRITE);
                ByteBuffer bytes = ByteBuffer.wrap(QueueRecordCodec.encode(record));
                while (bytes.hasRemaining()) {
                    envelopeChannel.write(bytes);
                }
            } catch (IOException e) {
                closeQuietly(channel);
                closeQuietly(envelopeChannel);
                deleteQuietly(tmpContent, tmpEnvelope);
                return CompletableFuture.failedFuture(
                        new SinkException(NO_SPACE, "cannot write the queue file: " + e.getMessage(), e));
            }
            Path content = files.content(id);
            Path env = files.envelope(id);
            List<Path[]> renames = new ArrayList<>();
            // Content first: the envelope's arrival in messages/ is the commit point.
            renames.add(new Path[] {tmpContent, content});
            renames.add(new Path[] {tmpEnvelope, env});
            CompletableFuture<Acceptance> result = new CompletableFuture<>();
            committer.submit(List.of(channel, envelopeChannel), renames, List.of(),
                            () -> deleteQuietly(env, content, tmpEnvelope, tmpContent))
                    .whenComplete((ok, error) -> completeOffCommitter(() -> {
                        if (error != null) {
                            result.completeExceptionally(sinkFailure(error));
                            return;
                        }
                        try {
                            onDurable.accept(record);
                        } finally {
                            result.complete(acceptance());
                        }
                    }));
            return result;
        }

        @Override
        public void abort() {
            if (finished) {
                return;
            }
            finished = true;
            closeQuietly(channel);
            deleteQuietly(tmpContent);
        }
    }

    /** Runs the session's continuation off the committer thread; inline if the executor is shut down. */
    private void completeOffCommitter(Runnable task) {
        try {
            completions.execute(task);
        } catch (java.util.concurrent.RejectedExecutionException e) {
            task.run();
        }
    }

    private static void closeQuietly(FileChannel channel) {
        if (channel != null) {
            try {
                channel.close();
            } catch (IOException e) {
                // nothing to save: the file is being dropped
            }
        }
    }

    static void deleteQuietly(Path... paths) {
        for (Path path : paths) {
            try {
                Files.deleteIfExists(path);
            } catch (IOException e) {
                // recovery at the next start deletes tmp/ and orphaned content files
            }
        }
    }
}
