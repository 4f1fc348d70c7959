package io.postern.queue;

import io.postern.config.FileAccess;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Optional;
import java.util.function.LongConsumer;

/**
 * The only code that names queue files. Layout under the queue directory:
 * {@code tmp/} (messages being received and envelopes being rewritten; emptied at start),
 * {@code messages/ID.msg} (content) and {@code messages/ID.env} (envelope: its presence is the
 * commit point), {@code corrupt/} (files that failed to parse, kept for the operator) and
 * {@code lock} (held by the node that owns the queue). Every path is built from a numeric id
 * formatted by {@link QueueId}, never from caller text. Immutable, thread-safe.
 */
final class QueueFiles {
    static final String CONTENT = ".msg";
    static final String ENVELOPE = ".env";

    final Path root;
    final Path tmp;
    final Path messages;
    final Path corrupt;

    /** Queue files hold whole messages and envelopes: the node's user only (0600, folders 0700). */
    static final FileAccess ACCESS = FileAccess.OWNER_ONLY;

    private QueueFiles(Path root) {
        this.root = root.toAbsolutePath().normalize();
        this.tmp = this.root.resolve("tmp");
        this.messages = this.root.resolve("messages");
        this.corrupt = this.root.resolve("corrupt");
    }

    static QueueFiles open(Path root) throws IOException {
        QueueFiles files = new QueueFiles(root);
        ACCESS.createDirectories(files.tmp);
        ACCESS.createDirectories(files.messages);
        ACCESS.createDirectories(files.corrupt);
        return files;
    }

    Path content(long id) {
        return messages.resolve(QueueId.format(id) + CONTENT);
    }

    Path envelope(long id) {
        return messages.resolve(QueueId.format(id) + ENVELOPE);
    }

    Path tmpContent(long id) {
        return tmp.resolve(QueueId.format(id) + CONTENT);
    }

    /** A fresh temporary name per rewrite, so an abandoned one never collides. */
    Path tmpEnvelope(long id, long serial) {
        return tmp.resolve(QueueId.format(id) + "." + serial + ENVELOPE);
    }

    Path corruptCopy(Path file) {
        return corrupt.resolve(file.getFileName());
    }

    /**
     * Takes the queue's lock for this process, or empty when another process (a running node)
     * holds it. The lock lives as long as the returned channel.
     */
    Optional<FileChannel> tryLock() throws IOException {
        FileChannel channel = ACCESS.create(root.resolve("lock"), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
        try {
            FileLock lock = channel.tryLock();
            if (lock != null) {
                return Optional.of(channel);
            }
        } catch (OverlappingFileLockException e) {
            // held by this JVM already (another queue object on the same directory)
        }
        channel.close();
        return Optional.empty();
    }

    /** Calls {@code action} with the id of every committed message (an envelope file), lazily. */
    void forEachEnvelope(LongConsumer action) throws IOException {
        try (DirectoryStream<Path> stream = Files.newDirectoryStream(messages, "*" + ENVELOPE)) {
            for (Path file : stream) {
                long id = idOf(file);
                if (id >= 0) {
                    action.accept(id);
                }
            }
        }
    }

    /** The greatest id of any file in {@code messages/}, or -1 when there is none: one listing, names only. */
    long greatestId() throws IOException {
        long greatest = -1;
        try (DirectoryStream<Path> stream = Files.newDirectoryStream(messages)) {
            for (Path file : stream) {
                greatest = Math.max(greatest, idOf(file));
            }
        }
        return greatest;
    }

    /** Calls {@code action} with the id of every content file. */
    void forEachContent(LongConsumer action) throws IOException {
        try (DirectoryStream<Path> stream = Files.newDirectoryStream(messages, "*" + CONTENT)) {
            for (Path file : stream) {
                long id = idOf(file);
                if (id >= 0) {
                    action.accept(id);
                }
            }
        }
    }

    /** Deletes everything in tmp/: messages that were never acknowledged. */
    int clearTmp() throws IOException {
        int count = 0;
        try (DirectoryStream<Path> stream = Files.newDirectoryStream(tmp)) {
            for (Path file : stream) {
                Files.deleteIfExists(file);
                count++;
            }
        }
        return count;
    }

    private static long idOf(Path file) {
        String name = file.getFileName().toString();
        return name.length() == QueueId.LENGTH + 4 ? QueueId.parse(name.substring(0, QueueId.LENGTH)) : -1;
    }
}
