package io.postern.mailbox;

import io.postern.config.FileAccess;
import io.postern.config.SpoolFormat;
import io.postern.mail.MailAddress;
import io.postern.net.Threads;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * Opens users' spools for POP3: finds the spool with {@link SpoolLayout}, takes the cluster-wide
 * lock, lists the messages. One per node; a single daemon thread refreshes every held lock each
 * third of the lease. Blocking (file system calls): call it off the network threads.
 * Thread-safe.
 */
public final class MailboxStore implements AutoCloseable {
    private final SpoolLayout layout;
    private final SpoolFormat format;
    private final String node;
    private final Duration lease;
    private final Clock clock;
    private final Set<MailboxLock> held = ConcurrentHashMap.newKeySet();
    private final ScheduledExecutorService refresher;

    public MailboxStore(SpoolLayout layout, SpoolFormat format, String node, Duration lease, Clock clock) {
        this.layout = layout;
        this.format = format;
        this.node = node;
        this.lease = lease;
        this.clock = clock;
        this.refresher = Threads.scheduler("pop3-lock-refresh");
        long period = Math.max(200, lease.toMillis() / 3);
        refresher.scheduleWithFixedDelay(this::refreshAll, period, period, TimeUnit.MILLISECONDS);
    }

    /** Opens the mailbox of {@code owner}; {@code spoolOverride} is the directory's spool attribute. */
    public OpenResult open(MailAddress owner, Optional<String> spoolOverride) {
        Path spool;
        try {
            spool = layout.spoolOf(owner, spoolOverride);
        } catch (SpoolLayout.UnsafeSpoolPath e) {
            return new OpenResult.PermFailure(e.getMessage());
        }
        MailboxLock lock;
        try {
            switch (MailboxLock.acquire(spool, node, lease, clock, layout.access())) {
                case MailboxLock.Attempt.Held h -> {
                    return new OpenResult.InUse(h.holder());
                }
                case MailboxLock.Attempt.Acquired a -> lock = a.lock();
            }
        } catch (IOException e) {
            return new OpenResult.TempFailure("cannot lock " + spool.getFileName() + ": " + e.getMessage());
        }
        held.add(lock);
        try {
            Spool listed = switch (format) {
                case MAILDIR -> MaildirSpool.scan(spool, layout.access());
                case MBOX -> MboxSpool.scan(spool, layout.access());
            };
            return new OpenResult.Opened(new OpenMailbox(listed, lock, () -> held.remove(lock)));
        } catch (IOException | RuntimeException e) {
            held.remove(lock);
            lock.release();
            return new OpenResult.TempFailure("cannot list " + spool.getFileName() + ": " + e.getMessage());
        }
    }

    /** Locks held by sessions of this node (for tests and metrics). */
    public int heldLocks() {
        return held.size();
    }

    private void refreshAll() {
        for (MailboxLock lock : held) {
            lock.refresh();
        }
    }

    @Override
    public void close() {
        refresher.shutdownNow();
        held.forEach(MailboxLock::release);
        held.clear();
    }
}
