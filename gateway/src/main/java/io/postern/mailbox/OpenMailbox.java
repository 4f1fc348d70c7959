package io.postern.mailbox;

import java.io.IOException;
import java.io.InputStream;
import java.util.List;
import java.util.Set;

/**
 * A locked mailbox and the snapshot of its messages taken when it was opened: mail that arrives
 * later appears in the next session. Indexes are 0-based positions in {@link #messages()}.
 * Mutable, owned by one session (one thread at a time); {@link #close()} releases the lock
 * without deleting anything.
 */
public final class OpenMailbox implements AutoCloseable {
    private final Spool spool;
    private final MailboxLock lock;
    private final Runnable onClose;

    OpenMailbox(Spool spool, MailboxLock lock, Runnable onClose) {
        this.spool = spool;
        this.lock = lock;
        this.onClose = onClose;
    }

    public List<SpoolMessage> messages() {
        return spool.messages();
    }

    /** The message as sent before dot-stuffing; the caller closes the stream. */
    public InputStream open(int index) throws IOException {
        return spool.open(index);
    }

    public void markSeen(int index) throws IOException {
        spool.markSeen(index);
    }

    /** The UPDATE state: removes the messages, only while the lock is still ours. */
    public UpdateResult delete(Set<Integer> indexes) {
        if (!lock.held()) {
            return new UpdateResult.LockLost();
        }
        return spool.delete(indexes);
    }

    @Override
    public void close() {
        lock.release();
        onClose.run();
    }
}
