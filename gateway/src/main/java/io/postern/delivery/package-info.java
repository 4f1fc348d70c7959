/**
 * Local delivery (the MDA): writes one message into one user's spool, Maildir by default
 * ({@link io.postern.delivery.MaildirWriter}) or mbox ({@link io.postern.delivery.MboxWriter}),
 * after a quota check ({@link io.postern.delivery.MaildirQuota}); {@link io.postern.delivery.LocalDelivery}
 * ties them together and reports a {@link io.postern.delivery.LocalOutcome}.
 *
 * <p>Trust: the message bytes are untrusted but only copied (mbox {@code From } quoting is the one
 * transformation). Spool paths come from the directory and the envelope and are untrusted: they are
 * built only through {@link io.postern.mailbox.SpoolLayout}, which refuses anything that could leave
 * the spool root; a refused path is a permanent failure with a log line.
 *
 * <p>Limits: mbox locks wait at most {@code spool.lockTimeout}; a dot-lock older than
 * {@code spool.staleLockAge} is broken. {@code maildirsize} files over 5120 bytes are recomputed
 * (Maildir++).
 *
 * <p>Failure: a delivery is complete only when the file and its name in {@code new/} are durable
 * (Maildir: fsync'd file and folder, or one {@code syncfs} shared by the deliveries waiting at that
 * moment, {@link io.postern.delivery.MaildirDurability}) or appended and fsync'd (mbox); a failed mbox append is truncated back. I/O errors and
 * lock timeouts are temporary ({@code 4.x}); quota ({@code 5.2.2}), disabled mailboxes, unsafe
 * paths ({@code 5.3.0}) and a message that already carries {@code Delivered-To} for this address
 * (a forwarding loop, {@code 5.4.6}) are permanent. Message bodies are never logged; addresses and
 * directory values are, through {@link io.postern.observability.LogLine}. Every file and folder is
 * created with the spool's {@link io.postern.config.FileAccess} (owner-only by default).
 *
 * <p>Exactly once: a message of the durable queue carries a {@link io.postern.delivery.DeliveryKey};
 * its Maildir name is fixed by (queue id, mailbox) and a repeated attempt that finds it writes
 * nothing; a keyed mbox append is journalled first and a repeat compares the bytes at the
 * journalled offset. A message handed over by a front carries the front's key (origin, queue id):
 * every worker on the shared spool names it alike, and a repeat finds a copy written by any of them. A repeat costs three {@code stat}s (plus a listing of {@code new/} and
 * {@code cur/} when the copy is not there); a first attempt costs nothing extra.
 */
package io.postern.delivery;
