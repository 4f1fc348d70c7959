/**
 * The client side of the milter protocol (version 6, as Postfix and Sendmail speak it): Postern
 * asks a list of mail filters (rspamd, clamav-milter, OpenDKIM ...) about each message before it
 * answers DATA/BDAT, so spam and viruses are refused at SMTP time and nothing is bounced later.
 *
 * <p>Entry point: {@link io.postern.milter.MilterChain#check} takes a {@link io.postern.milter.MilterContext}
 * (envelope and session facts, turned into milter macros) and the stored message, and returns a
 * {@link io.postern.milter.MilterVerdict}: accept with the {@link io.postern.milter.Modification}s
 * to apply ({@link io.postern.milter.MessageRewriter} applies the header and body edits), reject,
 * tempfail, discard or quarantine. Milters are asked in order; the first that does not accept
 * decides.
 *
 * <p>I/O: blocking calls on the caller's thread (a virtual thread in the session), over an NIO
 * {@link java.nio.channels.SocketChannel} with one selector per connection, because the protocol
 * is strictly one request then its replies, and because unix-domain sockets have no read
 * timeout: the selector gives every phase an explicit deadline for TCP and unix sockets alike.
 * No Netty here: only protocol front ends and the server import it.
 *
 * <p>Trust: everything a milter sends is untrusted. Frames are bounded ({@link io.postern.milter.MilterCodec#MAX_FRAME}),
 * reply codes are validated (4xx for tempfail, 5xx for reject, matching enhanced status class,
 * printable ASCII, no line breaks except between lines of the same code); anything else is a
 * protocol failure.
 *
 * <p>Limits: connect, command and end-of-message timeouts per milter (a progress reply restarts
 * the end-of-message one), body chunks of at most 65535 bytes, idle connections kept per milter.
 *
 * <p>Failure: a milter that is down, slow or speaks nonsense gives its configured default action
 * (tempfail, or accept unfiltered) within its timeout, never an exception; after a number of
 * failures in a row its circuit opens and messages get the default action without a connection
 * attempt, with one probe per retry delay. Each failure is counted by cause, each reply by kind,
 * each conversation timed; rejections and quarantines are logged naming the milter and its reply.
 */
package io.postern.milter;
