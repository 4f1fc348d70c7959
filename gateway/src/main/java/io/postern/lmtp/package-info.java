/**
 * LMTP front end (RFC 2033): {@link io.postern.lmtp.LmtpPipeline} wires the SMTP session in
 * its LMTP dialect. Untrusted input (an LMTP port may be reachable by the front tier or an
 * existing MTA); the same limits as SMTP apply (see io.postern.smtp). Recipients must be local:
 * LMTP never relays. After DATA each accepted recipient gets its own reply, so a full mailbox
 * (452 4.2.2 / 552 5.2.2) fails only that recipient.
 */
package io.postern.lmtp;
