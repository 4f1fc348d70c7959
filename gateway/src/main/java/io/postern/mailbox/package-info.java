/**
 * Per-user spools on shared storage: where they are ({@link io.postern.mailbox.SpoolLayout}), and
 * reading them for POP3 ({@link io.postern.mailbox.MailboxStore}) under a cluster-wide lock.
 *
 * <p>Untrusted input: path components from the envelope and the directory, validated before any
 * file system call, so nothing is read or written outside the spool root; spool contents (any
 * bytes, any line length) are streamed through fixed buffers, never loaded whole.
 *
 * <p>Limits: a listing reads file names (Maildir) or one sequential pass (mbox), never holds a
 * message body; UIDLs are at most 70 octets (longer Maildir names are hashed).
 *
 * <p>Failure behaviour: storage errors are temporary ({@link io.postern.mailbox.OpenResult.TempFailure});
 * unsafe paths are permanent. A lock whose holder died expires after its lease. Deleting
 * (UPDATE) removes each message on its own; what fails stays intact, and nothing is deleted once
 * the lock was lost. Every file written (lock, rewritten mbox) goes to a temporary name first.
 */
package io.postern.mailbox;
