/**
 * SMTP, submission and LMTP front end on Netty. {@link io.postern.smtp.SmtpPipeline} builds a
 * connection's pipeline from {@link io.postern.smtp.inbound.session.SmtpServices}; every reply text lives in
 * {@link io.postern.smtp.reply.SmtpReply}. Subpackages follow the direction of the mail:
 * {@code inbound.codec} (framing: command lines, DATA dot-unstuffing, message content checks),
 * {@code inbound.command} (parsing), {@code inbound.policy} (relay, recipients, senders, AUTH),
 * {@code inbound.session} (the state machine, its command table, the SMTP/LMTP reply strategy
 * and {@code SmtpServices}); {@code reply} is the leaf all of them use. Connection limits are a
 * shared listener stage ({@code io.postern.net}). The packages form no cycle
 * ({@code LayeringTest.noPackageCycles}).
 *
 * <p>Trust: everything read from the network is untrusted. Limits (io.postern.config.SmtpConfig):
 * command line 512 octets (500 5.5.2), text line 1000 (500 5.5.2), message size enforced while
 * streaming (552 5.3.4), recipients (452 4.5.3), errors per session (421 4.7.0), Received hop
 * count (554 5.4.6), connections total and per client on each listener (421 4.7.0, applied by the
 * shared stage of io.postern.net before the session starts), idle
 * (whole lines only), command and DATA timeouts (421 4.4.2), the length and minimum rate of a
 * DATA/BDAT phase (451 4.4.2 and close), early talkers (554 5.5.1 and close); replies left
 * unread pause reading.
 *
 * <p>Failure behaviour: a bad command gets a precise reply and the session goes on; a directory
 * outage gives 451 4.4.3; a storage failure gives 452 4.3.1; 250 after DATA is sent only once the
 * sink's commit has completed. Does not import io.postern.server.
 */
package io.postern.smtp;
