/**
 * Outbound delivery: the SMTP client that sends remote mail to the recipient domain's MX or a
 * relay host ({@link io.postern.outbound.OutboundDelivery}), and the same client in LMTP mode
 * that hands local mail from the front role to delivery workers
 * ({@link io.postern.outbound.LmtpHandoff}), and both sending to a configured next hop (a relay
 * domain's internal server, a user's home server: {@link io.postern.outbound.NextHopDelivery};
 * a next hop without MX or address defers, it is never a bounce). All are {@link io.postern.mail.DeliveryAgent}s:
 * exactly one result per recipient, never an exception for a recipient-level problem.
 *
 * <p>Trust: remote replies and DNS answers are untrusted. Limits (config {@code outbound}): reply
 * line length and lines per reply, recipients per transaction, a timeout for every stage (RFC 5321
 * 4.5.3.2 defaults), idle sessions per destination, messages per session. Message content is
 * streamed from the queue in 64 KiB chunks, never held whole.
 *
 * <p>Command lines are built from the envelope's typed values only, every parameter encoded
 * afresh; the writer refuses a line holding CR, LF or NUL (nothing sent, logged, recipients
 * deferred with 4.3.0).
 *
 * <p>Hand-off ({@link io.postern.outbound.LmtpHandoff}): every address of {@code lmtpTargets} is
 * one worker with its own health and at most {@code outbound.handoff.maxSessionsPerWorker} open
 * sessions (in use and idle; {@code LmtpWorkers}), not the destination limiter. A {@code 421} at
 * greeting or a full worker is busy (another worker, or a bounded wait), an unreachable one is
 * passed over; the recipients are deferred only when every worker failed. The front's delivery
 * key ({@code XPOSTERN-KEY}, {@link io.postern.mail.HandoffKey}) goes with each transaction so
 * that a retry on another worker after a session broke past the final dot writes no second copy.
 *
 * <p>Failure: connection problems, timeouts, TLS failures and DNS outages are temporary (DEFERRED,
 * 4.x.x); a 5xx reply, a null MX or NXDOMAIN is permanent (FAILED, 5.x.x, the remote reply as
 * diagnostic). The protocol code runs as straight-line blocking code on virtual threads; the I/O is
 * Netty (this package imports Netty, as protocol packages do, because it is the client side of one).
 */
package io.postern.outbound;
