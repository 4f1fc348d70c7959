package io.postern.delivery;

import io.postern.config.FileAccess;
import io.postern.mail.MailAddress;
import io.postern.mail.MessageContent;
import io.postern.observability.LogLine;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Appends messages to an mbox file for legacy readers of {@code /var/mail/user}: mboxrd
 * {@code From } quoting, LF line ends, a {@code <file>.lock} dot-lock (what mutt, procmail and
 * Dovecot take) and an fcntl lock ({@link FileChannel#lock} is fcntl on Linux), then append,
 * fsync, unlock. A failed append is truncated back to the old end of the file, so a reader never
 * sees half a message. Immutable, thread-safe.
 */
public final class MboxWriter {
    private static final Logger LOG = LoggerFactory.getLogger(MboxWriter.class);
    private static final DateTimeFormatter ASCTIME =
            DateTimeFormatter.ofPattern("EEE MMM ppd HH:mm:ss yyyy", Locale.ROOT).withZone(ZoneOffset.UTC);
    private static final long POLL_MILLIS = 20;
    /** Names this host in dot-locks, so that only a lock of a local process is judged by its pid. */
    private static final String LOCAL_HOST = localHost();

    private static String localHost() {
        try {
            return java.net.InetAddress.getLocalHost().getHostName().replace(' ', '_');
        } catch (java.net.UnknownHostException e) {
            return "localhost";
        }
    }

    /** Threads of this process wait here instead of spinning on the dot-lock; striped to stay bounded. */
    private static final ReentrantLock[] LOCAL_LOCKS = new ReentrantLock[64];

    static {
        for (int i = 0; i < LOCAL_LOCKS.length; i++) {
            LOCAL_LOCKS[i] = new ReentrantLock();
        }
    }

    /** Opens the mbox file for writing; a test seam for failing writes. */
    @FunctionalInterface
    public interface ChannelOpener {
        FileChannel open(Path file) throws IOException;
    }

    /** The lock could not be taken within the timeout: try again later. */
    public static final class LockTimeout extends IOException {
        LockTimeout(String message) {
            super(message);
        }
    }

    private final Duration lockTimeout;
    private final Duration staleLockAge;
    private final ChannelOpener opener;
    private final Clock clock;
    private final FileAccess access;

    public MboxWriter(Duration lockTimeout, Duration staleLockAge) {
        this(lockTimeout, staleLockAge, FileAccess.OWNER_ONLY);
    }

    public MboxWriter(Duration lockTimeout, Duration staleLockAge, FileAccess access) {
        this(lockTimeout, staleLockAge,
                file -> access.create(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE, StandardOpenOption.READ),
                Clock.systemUTC(), access);
    }

    MboxWriter(Duration lockTimeout, Duration staleLockAge, ChannelOpener opener, Clock clock) {
        this(lockTimeout, staleLockAge, opener, clock, FileAccess.OWNER_ONLY);
    }

    MboxWriter(Duration lockTimeout, Duration staleLockAge, ChannelOpener opener, Clock clock, FileAccess access) {
        this.lockTimeout = lockTimeout;
        this.staleLockAge = staleLockAge;
        this.opener = opener;
        this.clock = clock;
        this.access = access;
    }

    /** Appends one message; returns the number of bytes appended. */
    public long deliver(Path mbox, Optional<MailAddress> sender, byte[] prefix, MessageContent content)
            throws IOException {
        return locked(mbox, channel -> append(channel, sender, prefix, content, clock.instant()));
    }

    /**
     * Appends one message of the durable queue unless the journal shows that this {@code key}
     * (queue id and mailbox, see {@link DeliveryKey#stem}) was appended before and the bytes are
     * still there; returns false when nothing was appended. Before appending it records
     * {@code key offset time} in {@code <mbox>.postern-journal} (fsync'd), so a redelivery can
     * rebuild the exact bytes it would have written and compare them with the file: equal means
     * delivered; anything else (never written, cut short by a crash, the mbox rewritten by a POP3
     * expunge since) means append again. A redelivery thus never loses a message; only a rewrite
     * of the mbox in between, or more than {@value MboxJournal#KEEP} deliveries in between, can
     * still give a second copy. Only a {@code repeat} reads the journal.
     */
    public boolean deliverOnce(Path mbox, Optional<MailAddress> sender, byte[] prefix, MessageContent content,
                               String key, boolean repeat) throws IOException {
        MboxJournal journal = new MboxJournal(mbox.resolveSibling(mbox.getFileName() + ".postern-journal"), access);
        return locked(mbox, channel -> {
            if (repeat) {
                Optional<MboxJournal.Entry> entry = journal.find(key);
                if (entry.isPresent() && sameBytesAt(channel, entry.get(), sender, prefix, content)) {
                    return -1L;
                }
            }
            // Whole seconds: the From line carries no more, and the comparison rebuilds it from the journal.
            Instant when = Instant.ofEpochSecond(clock.instant().getEpochSecond());
            journal.append(new MboxJournal.Entry(key, channel.size(), when.getEpochSecond()));
            return append(channel, sender, prefix, content, when);
        }) >= 0;
    }

    private interface LockedAppend {
        long run(FileChannel channel) throws IOException;
    }

    /** Runs {@code action} holding this process's lock, the dot-lock and the fcntl lock of {@code mbox}. */
    private long locked(Path mbox, LockedAppend action) throws IOException {
        MaildirWriter.createDirectoriesDurably(mbox.getParent(), access);
        long deadline = System.nanoTime() + lockTimeout.toNanos();
        ReentrantLock local = LOCAL_LOCKS[Math.floorMod(mbox.hashCode(), LOCAL_LOCKS.length)];
        try {
            if (!local.tryLock(lockTimeout.toMillis(), TimeUnit.MILLISECONDS)) {
                throw new LockTimeout("mbox busy in this process for " + lockTimeout);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new LockTimeout("interrupted while waiting for the mbox lock");
        }
        try {
            Path dotLock = mbox.resolveSibling(mbox.getFileName() + ".lock");
            takeDotLock(dotLock, deadline);
            boolean created = !Files.exists(mbox);
            try (FileChannel channel = opener.open(mbox)) {
                FileLock lock = fcntlLock(channel, deadline);
                try {
                    long appended = action.run(channel);
                    if (created) {
                        MaildirWriter.fsyncDirectory(mbox.getParent()); // the new file's name must survive a crash too
                    }
                    return appended;
                } finally {
                    if (channel.isOpen()) {
                        lock.release();
                    }
                }
            } finally {
                Files.deleteIfExists(dotLock);
            }
        } finally {
            local.unlock();
        }
    }

    private long append(FileChannel channel, Optional<MailAddress> sender, byte[] prefix, MessageContent content,
                        Instant when) throws IOException {
        long start = channel.size();
        try {
            channel.position(start);
            OutputStream raw = new BufferedOutputStream(Channels.newOutputStream(channel), 64 * 1024);
            render(raw, sender, prefix, content, when);
            channel.force(true);
            return channel.size() - start;
        } catch (IOException | RuntimeException e) {
            truncateBack(channel, start);
            throw e;
        }
    }

    /** The exact bytes one message takes in the mbox: From line, mboxrd-quoted headers and body, blank line. */
    private void render(OutputStream raw, Optional<MailAddress> sender, byte[] prefix, MessageContent content,
                        Instant when) throws IOException {
        raw.write(fromLine(sender, when).getBytes(StandardCharsets.UTF_8));
        MboxrdOutput body = new MboxrdOutput(raw);
        body.write(prefix);
        try (InputStream in = content.open()) {
            in.transferTo(body);
        }
        body.finishMessage();
    }

    /** Whether the mbox holds, at the journal's offset, exactly what this delivery would write. */
    private boolean sameBytesAt(FileChannel channel, MboxJournal.Entry entry, Optional<MailAddress> sender,
                                byte[] prefix, MessageContent content) throws IOException {
        if (entry.offset() >= channel.size()) {
            return false;
        }
        channel.position(entry.offset());
        // Not closed: closing it would close the channel the append still needs.
        InputStream existing = new java.io.BufferedInputStream(Channels.newInputStream(channel), 64 * 1024);
        ComparingOutput compare = new ComparingOutput(existing);
        try {
            render(compare, sender, prefix, content, Instant.ofEpochSecond(entry.epochSecond()));
            return true;
        } catch (ComparingOutput.Differs differs) {
            return false;
        }
    }

    private static void truncateBack(FileChannel channel, long start) {
        try {
            channel.truncate(start);
            channel.force(true);
        } catch (IOException | RuntimeException again) {
            LogLine.event("mbox-truncate-failed").add("size", start).add("error", again.getMessage()).error(LOG);
        }
    }

    String fromLine(Optional<MailAddress> sender) {
        return fromLine(sender, clock.instant());
    }

    static String fromLine(Optional<MailAddress> sender, Instant when) {
        String who = sender.map(MailAddress::toString).orElse("MAILER-DAEMON").replaceAll("\\s", "_");
        return "From " + who + " " + ASCTIME.format(when) + "\n";
    }

    private void takeDotLock(Path dotLock, long deadline) throws IOException {
        byte[] owner = (ProcessHandle.current().pid() + " " + LOCAL_HOST + "\n").getBytes(StandardCharsets.US_ASCII);
        while (true) {
            try {
                access.write(dotLock, owner);
                return;
            } catch (FileAlreadyExistsException held) {
                breakIfStale(dotLock);
            }
            pause(deadline, "dot-lock " + dotLock.getFileName() + " held");
        }
    }

    /**
     * Removes a dot-lock whose holder is gone: one this host's dead process left (a {@code kill -9}
     * would otherwise defer every delivery to the mbox for {@code staleLockAge}), or one older than
     * {@code staleLockAge} from anywhere (another node, another program).
     */
    private void breakIfStale(Path dotLock) throws IOException {
        try {
            if (heldByDeadLocalProcess(dotLock)) {
                LogLine.event("mbox-dead-lock-removed").add("lock", dotLock).warn(LOG);
                Files.deleteIfExists(dotLock);
                return;
            }
            Instant modified = Files.getLastModifiedTime(dotLock).toInstant();
            if (modified.plus(staleLockAge).isBefore(clock.instant())) {
                LogLine.event("mbox-stale-lock-removed").add("lock", dotLock)
                        .add("age", Duration.between(modified, clock.instant())).warn(LOG);
                Files.deleteIfExists(dotLock);
            }
        } catch (NoSuchFileException gone) {
            // released meanwhile: the next attempt takes it
        }
    }

    /** True when the lock names this host and a pid that no longer runs here. */
    static boolean heldByDeadLocalProcess(Path dotLock) throws IOException {
        String[] owner = Files.readString(dotLock, StandardCharsets.US_ASCII).trim().split(" ");
        if (owner.length != 2 || !owner[1].equals(LOCAL_HOST)) {
            return false;
        }
        try {
            long pid = Long.parseLong(owner[0]);
            return pid != ProcessHandle.current().pid() && ProcessHandle.of(pid).map(p -> !p.isAlive()).orElse(true);
        } catch (NumberFormatException e) {
            return false;
        }
    }

    private static FileLock fcntlLock(FileChannel channel, long deadline) throws IOException {
        while (true) {
            try {
                FileLock lock = channel.tryLock();
                if (lock != null) {
                    return lock;
                }
            } catch (OverlappingFileLockException heldHere) {
                // another channel of this process holds it: wait like for any other holder
            }
            pause(deadline, "fcntl lock held");
        }
    }

    private static void pause(long deadline, String what) throws LockTimeout {
        if (System.nanoTime() > deadline) {
            throw new LockTimeout(what);
        }
        try {
            Thread.sleep(POLL_MILLIS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new LockTimeout("interrupted while waiting: " + what);
        }
    }
}
