/**
 * The SMTP/LMTP session state machine ({@link io.postern.smtp.inbound.session.SmtpSessionHandler}),
 * the preconditions of each verb ({@code CommandTable}), where SMTP and LMTP differ
 * ({@code ReplyStrategy}: one reply per message or per recipient), the EHLO list ({@code EhloReply}),
 * what a session needs from the node ({@link io.postern.smtp.inbound.session.SmtpServices}),
 * its mail transaction and the trace headers it adds, AUTH decisions ({@code AuthCommand}) and the
 * STARTTLS upgrade ({@code TlsUpgrade}); MAIL, RCPT and the end-of-data forecast answer on the
 * event loop when the directory's answers are in memory ({@link io.postern.directory.Directory#inMemory()}),
 * else off it under {@link io.postern.protocol.OffLoop}; and what the session reports: one {@code event=session-end}
 * line ({@code SessionSummary}), {@code event=accepted} and {@code event=rejected} lines, and the
 * commands/replies/rejections meters ({@code SessionMeters}, tags from closed sets only, resolved once
 * per listener by {@link io.postern.smtp.inbound.session.SmtpMeters} and shared by its sessions). Untrusted
 * input. Each verb has its class behind the {@code CommandTable} ({@code HelloCommand},
 * {@code SimpleCommands}, {@code MailCommand}, {@code RcptCommand}, {@code MessageCommands} for
 * DATA/BDAT, {@code StartTlsCommand}, {@code LoginExchange} for AUTH); {@code SessionOutput} writes
 * every reply, counts errors and logs rejections. The session owns the mode-dependent limits
 * (512-octet command lines, 12288 for an AUTH line and SASL responses) and tells the pipeline's
 * {@link io.postern.net.TimeoutStage} which idle limit applies (command or DATA) and its deadlines
 * (a command line in progress, the DATA/BDAT phase of {@code DataDeadline}), on the event loop's
 * ticker; after STARTTLS it resets all state and discards input
 * pipelined behind the command. Replies come from {@link io.postern.smtp.reply.SmtpReply} only. Client
 * values in log lines are escaped; AUTH arguments, SASL lines and message content are never logged.
 * Every login goes through the node's {@link io.postern.sasl.LoginThrottle} (shared with POP3): a
 * reservation before the directory is asked, settled with its answer; the throttle's delay is
 * waited on the channel's scheduler with the session suspended, never on a thread.
 *
 * <p>Milters: a listener that names milters ({@code MessageFilters}: one chain per listener)
 * spools each message aside ({@code FilterSpool}) and, at its end, asks the chain off the loop
 * ({@code MilterStep}, the filter step of {@code EndOfData}); the verdict decides the reply, and
 * what is accepted is copied into the queue with the milters' edits. Milter replies are untrusted:
 * the client sees them only as validated by {@link io.postern.milter.MilterReply}.
 */
package io.postern.smtp.inbound.session;
