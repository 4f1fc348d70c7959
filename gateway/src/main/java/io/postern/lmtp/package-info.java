/**
 * LMTP front end (RFC 2033): {@link io.postern.lmtp.LmtpPipeline} wires the SMTP session in
 * its LMTP dialect. Untrusted input (an LMTP port may be reachable by the front tier or an
 * existing MTA); the same limits as SMTP apply (see io.postern.smtp). Recipients must be local:
 * LMTP never relays. After DATA each accepted recipient gets its own reply, so a full mailbox
 * (452 4.2.2 / 552 5.2.2) fails only that recipient.
 *
 * <p>The front tier: LMTP listeners count connections per client address against
 * {@code delivery.lmtpMaxConnectionsPerClient} (unless the listener sets its own cap), not SMTP's
 * per-client cap for outside clients, since a few front nodes open many sessions each. Only LMTP
 * advertises and accepts the front's delivery key ({@code MAIL ... XPOSTERN-KEY=}); it only makes
 * delivery look for a copy already written under that key (see io.postern.delivery).
 */
package io.postern.lmtp;
