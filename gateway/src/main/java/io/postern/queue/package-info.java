/**
 * The node-local durable queue: the {@link io.postern.mail.MessageSink} that SMTP writes into,
 * the scheduler that hands messages to a {@link io.postern.mail.DeliveryAgent}, retries with
 * backoff, RFC 3464 DSNs, and the operator's commands. The only package that names queue files
 * ({@link io.postern.queue.QueueFiles}); every id from outside passes {@link io.postern.queue.QueueId#parse}
 * first.
 *
 * <p>Parts (after Postfix's qmgr): {@link io.postern.queue.QueueSink} (incoming),
 * {@code DeliveryScheduler} (the schedule: heap and dispatcher, or the step function
 * {@code runDue} for tests), {@code DestinationTable} (the one owner of the per-destination limit
 * and backoff), {@code Attempt}, {@code Bookkeeping}, {@code Bouncer} (DSNs), {@code QueueAdmin}
 * and {@code Recovery}. A deferral caused by the directory never counts against a destination,
 * and is retried when the directory answers again ({@link io.postern.queue.MailQueue#directoryAnswers}).
 *
 * <p>Durability: a message is acknowledged only after its content, its envelope and the
 * directory entries are fsync'd (group commit: many messages share one batch), or, for an
 * all-local message with a {@link io.postern.mail.DirectDelivery} (roles {@code all} and
 * {@code front} with hand-off), after the mailboxes hold it; only what that leaves is queued. Per-recipient
 * results are written before the message is rescheduled or removed. {@code kill -9} at any moment
 * loses nothing acknowledged; a recipient whose delivery finished in the instant before its result
 * was written is offered again, marked {@link io.postern.mail.QueuedMessage.Attempt#REPEAT} (as is
 * every retry and every message found at start), so an agent that names its output by queue id
 * and target can recognise it (the local MDA does; docs/queue.md, "Exactly once").
 *
 * <p>Trust: envelopes come from the SMTP layer (validated addresses); files in the queue
 * directory are re-read as untrusted (a damaged one is moved to {@code corrupt/}); admin paths
 * and CLI arguments are untrusted. A record keeps whether its session logged in or came from a
 * trusted network: bounces for the others carry headers only and are rate-limited per domain
 * ({@code NoticeRateLimiter}; over the limit they are dropped and logged). A stopped node's
 * directory is untrusted too: {@link io.postern.queue.QueueImport} moves only messages whose
 * envelope parses and whose content has the recorded size, holding both queues' locks, with one
 * envelope rename as each message's commit point; {@link io.postern.queue.QueueBacklog} reads a
 * live directory without the lock for a drain's report. Limits: {@link io.postern.config.QueueConfig}. Memory: 16 bytes
 * per scheduled message (ids and due times only). Failures: disk errors answer
 * {@code 4.3.1} and leave nothing half-written visible; nothing is sticky. Files are created 0600
 * in 0700 folders ({@link io.postern.queue.QueueFiles#ACCESS}), and log lines quoting envelope
 * values go through {@link io.postern.observability.LogLine}.
 */
package io.postern.queue;
