package io.postern.smtp;

import io.postern.mail.Acceptance;
import io.postern.mail.RecipientOutcome;
import io.postern.mail.Envelope;
import io.postern.mail.EnvelopeRecipient;
import io.postern.mail.IncomingMessage;
import io.postern.mail.MessageSink;
import io.postern.mail.SinkException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executor;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A MessageSink for tests that writes real files: tmp/ID while receiving, then fsync and an
 * atomic move to new/ID on commit (off the caller's thread, optionally delayed). Can be told to
 * fail, and to give per-recipient outcomes (LMTP). Thread-safe.
 */
public final class FileSink implements MessageSink {
    private final Path dir;
    private final AtomicInteger ids = new AtomicInteger();
    private final List<Stored> stored = new CopyOnWriteArrayList<>();
    private final Map<String, RecipientOutcome> outcomes = new ConcurrentHashMap<>();
    private volatile boolean failOpen;
    private volatile boolean failCommit;
    private volatile Duration commitDelay = Duration.ZERO;

    /** A committed message: its file and envelope. */
    public record Stored(String id, Path file, Envelope envelope, boolean held) {
        public String text() {
            try {
                return Files.readString(file, java.nio.charset.StandardCharsets.UTF_8);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }

    public FileSink(Path dir) throws IOException {
        this.dir = dir;
        Files.createDirectories(dir.resolve("tmp"));
        Files.createDirectories(dir.resolve("new"));
    }

    public List<Stored> stored() {
        return List.copyOf(stored);
    }

    public void failOpen(boolean value) {
        failOpen = value;
    }

    public void failCommit(boolean value) {
        failCommit = value;
    }

    public void commitDelay(Duration value) {
        commitDelay = value;
    }

    public void outcome(String recipientKey, RecipientOutcome outcome) {
        outcomes.put(recipientKey, outcome);
    }

    /** Files left in tmp/ (messages neither committed nor aborted). */
    public long pendingFiles() throws IOException {
        try (var s = Files.list(dir.resolve("tmp"))) {
            return s.count();
        }
    }

    @Override
    public IncomingMessage open(Envelope envelope) throws SinkException {
        if (failOpen) {
            throw new SinkException(io.postern.mail.EnhancedStatus.STORAGE_TEMPORARY, "disk full (test)");
        }
        String id = "T" + ids.incrementAndGet();
        Path tmp = dir.resolve("tmp").resolve(id);
        FileChannel channel;
        try {
            channel = FileChannel.open(tmp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
        } catch (IOException e) {
            throw new SinkException(io.postern.mail.EnhancedStatus.STORAGE_TEMPORARY, "cannot create " + tmp, e);
        }
        return new IncomingMessage() {
            private boolean done;

            @Override
            public void write(byte[] bytes, int offset, int length) throws SinkException {
                try {
                    ByteBuffer buffer = ByteBuffer.wrap(bytes, offset, length);
                    while (buffer.hasRemaining()) {
                        channel.write(buffer);
                    }
                } catch (IOException e) {
                    throw new SinkException(io.postern.mail.EnhancedStatus.STORAGE_TEMPORARY, "write failed", e);
                }
            }

            @Override
            public CompletableFuture<Acceptance> commit(Envelope changed, boolean held) {
                return store(changed, held);
            }

            @Override
            public java.util.Optional<String> queueId() {
                return java.util.Optional.of(id);
            }

            @Override
            public CompletableFuture<Acceptance> commit() {
                return store(envelope, false);
            }

            private CompletableFuture<Acceptance> store(Envelope envelope, boolean held) {
                Executor later = CompletableFuture.delayedExecutor(commitDelay.toMillis(), TimeUnit.MILLISECONDS,
                        Executors.newVirtualThreadPerTaskExecutor());
                return CompletableFuture.supplyAsync(() -> {
                    if (failCommit) {
                        abort();
                        throw new java.util.concurrent.CompletionException(new SinkException(io.postern.mail.EnhancedStatus.STORAGE_TEMPORARY, "fsync failed (test)"));
                    }
                    try {
                        channel.force(true);
                        channel.close();
                        Path target = dir.resolve("new").resolve(id);
                        Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
                        done = true;
                        stored.add(new Stored(id, target, envelope, held));
                    } catch (IOException e) {
                        throw new UncheckedIOException(e);
                    }
                    List<RecipientOutcome> list = new ArrayList<>();
                    for (EnvelopeRecipient r : envelope.recipients()) {
                        list.add(outcomes.getOrDefault(r.address().key(), Acceptance.QUEUED));
                    }
                    return new Acceptance(id, list);
                }, later);
            }

            @Override
            public void abort() {
                if (done) {
                    return;
                }
                done = true;
                try {
                    channel.close();
                    Files.deleteIfExists(tmp);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            }
        };
    }
}
