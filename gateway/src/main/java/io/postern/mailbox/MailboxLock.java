package io.postern.mailbox;

import io.postern.config.FileAccess;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Clock;
import java.time.Duration;
import java.util.Optional;
import java.util.UUID;

/**
 * One POP3 session's claim on a mailbox, valid across every node that shares the spool storage.
 * The lock is a file beside the spool holding {@code node=... pid=... token=... expires=<epoch ms>};
 * it is created by writing a temporary file (not fsync'd, see writeTemp) and hard-linking it
 * to the lock name (atomic and exclusive, also on NFS), refreshed by writing a new temporary file and renaming it over the
 * lock, and taken over only when its expiry has passed (the holder died). Node clocks are
 * assumed to agree within a small fraction of the lease (NTP). Mutable, thread-safe.
 */
public final class MailboxLock {
    static final String SUFFIX = ".pop3.lock";

    private final Path path;
    private final String node;
    private final String token = UUID.randomUUID().toString();
    private final Duration lease;
    private final Clock clock;
    private volatile boolean lost;
    private volatile boolean released;

    private final FileAccess access;

    private MailboxLock(Path path, String node, Duration lease, Clock clock, FileAccess access) {
        this.path = path;
        this.access = access;
        this.node = node;
        this.lease = lease;
        this.clock = clock;
    }

    /** The result of trying to take a lock. A closed set. */
    public sealed interface Attempt {
        record Acquired(MailboxLock lock) implements Attempt {
        }

        /** Held by a live session; {@code holder} names its node and process (for logs). */
        record Held(String holder) implements Attempt {
        }
    }

    /** The lock file of a spool: a sibling, so it works for a Maildir folder and for an mbox file. */
    static Path lockPathOf(Path spool) {
        return spool.resolveSibling(spool.getFileName() + SUFFIX);
    }

    static Attempt acquire(Path spool, String node, Duration lease, Clock clock) throws IOException {
        return acquire(spool, node, lease, clock, FileAccess.OWNER_ONLY);
    }

    static Attempt acquire(Path spool, String node, Duration lease, Clock clock, FileAccess access) throws IOException {
        MailboxLock lock = new MailboxLock(lockPathOf(spool), node, lease, clock, access);
        access.createDirectories(lock.path.getParent());
        for (int attempt = 0; attempt < 3; attempt++) {
            Path temp = lock.writeTemp();
            try {
                if (lock.link(temp)) {
                    return new Attempt.Acquired(lock);
                }
            } finally {
                Files.deleteIfExists(temp);
            }
            Optional<String> current = read(lock.path);
            if (current.isEmpty()) {
                continue;
            }
            long expires = expiresOf(current.get());
            if (expires > clock.millis()) {
                return new Attempt.Held(holderOf(current.get()));
            }
            lock.breakStale(current.get());
        }
        return new Attempt.Held("unknown (lock contended)");
    }

    /**
     * Extends the lease; false when the lock was taken over (this session must not delete anything).
     * Synchronized with {@link #release()}: a release that ran between the check and the rename
     * would otherwise see the lock recreated with a fresh lease that nobody holds.
     */
    public synchronized boolean refresh() {
        if (released || lost) {
            return !lost;
        }
        try {
            Optional<String> current = read(path);
            if (current.isEmpty() || !current.get().contains("token=" + token + " ")) {
                lost = true;
                return false;
            }
            Path temp = writeTemp();
            try {
                Files.move(temp, path, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } finally {
                Files.deleteIfExists(temp);
            }
            return true;
        } catch (IOException e) {
            // Storage hiccup: keep the lock; the lease gives the next refresh time to succeed.
            return true;
        }
    }

    /** Still ours: not taken over and (by our own clock) not expired. */
    public boolean held() {
        if (lost || released) {
            return false;
        }
        try {
            Optional<String> current = read(path);
            return current.isPresent() && current.get().contains("token=" + token + " ");
        } catch (IOException e) {
            return false;
        }
    }

    public synchronized void release() {
        if (released) {
            return;
        }
        released = true;
        try {
            Optional<String> current = read(path);
            if (current.isPresent() && current.get().contains("token=" + token + " ")) {
                Files.deleteIfExists(path);
            }
        } catch (IOException ignored) {
            // Left behind, the lock expires after its lease.
        }
    }

    boolean released() {
        return released;
    }

    Duration lease() {
        return lease;
    }

    private Path writeTemp() throws IOException {
        Path temp = path.resolveSibling("." + path.getFileName() + "." + UUID.randomUUID() + ".tmp");
        String content = "node=" + node + " pid=" + ProcessHandle.current().pid() + " token=" + token
                + " expires=" + (clock.millis() + lease.toMillis()) + "\n";
        try (FileChannel channel = access.create(temp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            channel.write(ByteBuffer.wrap(content.getBytes(StandardCharsets.US_ASCII)));
            // No fsync: the content is complete before the link or rename makes it visible (close-to-open
            // on NFS), and a lock only has to outlive its holder, not a crash of the storage server.
        }
        return temp;
    }

    private boolean link(Path temp) throws IOException {
        try {
            Files.createLink(path, temp);
            return true;
        } catch (FileAlreadyExistsException e) {
            return false;
        } catch (UnsupportedOperationException e) {
            // No hard links on this file system: exclusive create is atomic too, the content lands after.
            try {
                Files.copy(temp, path);
                return true;
            } catch (FileAlreadyExistsException exists) {
                return false;
            }
        }
    }

    /** Moves an expired lock aside; if a fresh lock was moved by mistake (a race), puts it back. */
    private void breakStale(String staleContent) throws IOException {
        Path aside = path.resolveSibling("." + path.getFileName() + "." + UUID.randomUUID() + ".stale");
        try {
            Files.move(path, aside, StandardCopyOption.ATOMIC_MOVE);
        } catch (NoSuchFileException e) {
            return;
        }
        Optional<String> moved = read(aside);
        if (moved.isPresent() && !moved.get().equals(staleContent)) {
            try {
                Files.createLink(path, aside);
            } catch (FileAlreadyExistsException | UnsupportedOperationException ignored) {
                // Someone else holds it now; either way the next attempt sees a live lock.
            }
        }
        Files.deleteIfExists(aside);
    }

    private static Optional<String> read(Path file) throws IOException {
        try {
            return Optional.of(Files.readString(file, StandardCharsets.US_ASCII));
        } catch (NoSuchFileException e) {
            return Optional.empty();
        }
    }

    static long expiresOf(String content) {
        for (String part : content.trim().split(" ")) {
            if (part.startsWith("expires=")) {
                try {
                    return Long.parseLong(part.substring("expires=".length()));
                } catch (NumberFormatException e) {
                    return 0;
                }
            }
        }
        return 0;
    }

    private static String holderOf(String content) {
        StringBuilder out = new StringBuilder();
        for (String part : content.trim().split(" ")) {
            if (part.startsWith("node=") || part.startsWith("pid=")) {
                out.append(out.isEmpty() ? "" : " ").append(part);
            }
        }
        return out.toString();
    }
}
