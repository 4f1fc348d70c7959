/**
 * The SMTP/LMTP session state machine ({@link io.postern.smtp.inbound.session.SmtpSessionHandler}),
 * its mail transaction and the trace headers it adds. Untrusted input. The session owns the
 * mode-dependent limits and timeouts; after STARTTLS it resets all state and discards input
 * pipelined behind the command. Replies come from {@link io.postern.smtp.SmtpReply} only.
 */
package io.postern.smtp.inbound.session;
