package io.postern.queue;

import io.postern.config.FileAccess;
import io.postern.mail.MessageContent;
import io.postern.queue.QueueRecordCodec.CorruptRecordException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Reads and durably rewrites or removes committed messages, always through the
 * {@link GroupCommitter}: a rewrite goes to {@code tmp/}, is fsync'd and renamed over the old
 * envelope; a removal deletes the envelope (the commit point) before the content. Thread-safe;
 * callers make sure one message is changed by one thread at a time.
 *
 * <p>Records this process has just committed are kept in memory ({@link #remember}, up to
 * {@link #FRESH_RECORDS}) until they are first rewritten or removed, so that a message's first
 * attempt does not read back and decode the envelope it wrote a moment ago. The file stays the
 * truth: a record is remembered only after its envelope is durable, and forgotten before any
 * change to that envelope is submitted.
 */
final class QueueStore {
    private final QueueFiles files;
    private final GroupCommitter committer;
    private final IoHooks hooks;
    /**
     * The most records kept in memory: a backlog of new messages (an agent that is slower than the
     * senders) is read from disk beyond it, as before; about 1-2 KB each.
     */
    static final int FRESH_RECORDS = 4096;

    private final AtomicLong serial = new AtomicLong();
    private final java.util.concurrent.ConcurrentHashMap<Long, QueueRecord> fresh =
            new java.util.concurrent.ConcurrentHashMap<>();

    QueueStore(QueueFiles files, GroupCommitter committer, IoHooks hooks) {
        this.files = files;
        this.committer = committer;
        this.hooks = hooks;
    }

    QueueFiles files() {
        return files;
    }

    /** Keeps the record of a message this process has just made durable (see the class comment). */
    void remember(QueueRecord record) {
        if (fresh.size() < FRESH_RECORDS) {
            fresh.put(record.id(), record);
        }
    }

    /** How many records are kept in memory (tests). */
    int rememberedCount() {
        return fresh.size();
    }

    /** The record of a committed message; empty when it is gone (delivered or deleted). */
    Optional<QueueRecord> read(long id) throws IOException, CorruptRecordException {
        QueueRecord remembered = fresh.get(id);
        if (remembered != null) {
            return Optional.of(remembered);
        }
        try {
            hooks.beforeRead(files.envelope(id));
            QueueRecord record = QueueRecordCodec.decode(Files.readAllBytes(files.envelope(id)));
            if (record.id() != id) {
                throw new CorruptRecordException("envelope names another id");
            }
            return Optional.of(record);
        } catch (NoSuchFileException e) {
            return Optional.empty();
        }
    }

    MessageContent content(long id, long size) {
        Path path = files.content(id);
        return new MessageContent() {
            @Override
            public InputStream open() throws IOException {
                return Files.newInputStream(path);
            }

            @Override
            public long size() {
                return size;
            }
        };
    }

    /** Durably replaces the envelope of {@code record}'s message. */
    CompletableFuture<Void> rewrite(QueueRecord record) {
        fresh.remove(record.id()); // from now on the file says what the message is
        Path tmp = files.tmpEnvelope(record.id(), serial.incrementAndGet());
        try {
            hooks.beforeWrite(tmp);
            FileChannel channel = QueueFiles.ACCESS.create(tmp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
            try {
                ByteBuffer bytes = ByteBuffer.wrap(QueueRecordCodec.encode(record));
                while (bytes.hasRemaining()) {
                    channel.write(bytes);
                }
            } catch (IOException e) {
                channel.close();
                throw e;
            }
            return committer.submit(List.of(channel), List.<Path[]>of(new Path[] {tmp, files.envelope(record.id())}),
                    List.of(), () -> QueueSink.deleteQuietly(tmp));
        } catch (IOException e) {
            QueueSink.deleteQuietly(tmp);
            return CompletableFuture.failedFuture(e);
        }
    }

    /** Durably removes a message: envelope first, so a crash never leaves a message without content. */
    CompletableFuture<Void> remove(long id) {
        fresh.remove(id);
        return committer.submit(List.of(), List.of(), List.of(files.envelope(id), files.content(id)), () -> {
        });
    }

    /** Moves a message that cannot be read aside, for the operator to look at. */
    void quarantine(long id) {
        fresh.remove(id);
        for (Path file : List.of(files.envelope(id), files.content(id))) {
            try {
                if (Files.exists(file)) {
                    Files.move(file, files.corruptCopy(file), StandardCopyOption.REPLACE_EXISTING);
                }
            } catch (IOException e) {
                // left in place; it is retried at the next start
            }
        }
    }
}
