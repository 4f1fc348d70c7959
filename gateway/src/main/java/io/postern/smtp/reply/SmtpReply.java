package io.postern.smtp.reply;

import io.postern.mail.EnhancedStatus;
import java.util.Optional;

/**
 * The catalogue of every reply Postern's SMTP and LMTP sessions send: reply code, enhanced status
 * code (RFC 3463, {@link EnhancedStatus}) and text. Templates use {@link String#format}
 * placeholders for the few variable parts (host name, queue id, sizes); {@link #with} renders a
 * {@link Reply}. The one reply not in here is an LMTP recipient's outcome after DATA, whose code,
 * status and text come from the delivery layer ({@link Reply#of(io.postern.mail.RecipientOutcome, String)}).
 * Immutable. Nothing outside this enum spells a reply.
 */
public enum SmtpReply {
    GREETING(220, Optional.empty(), "%s ESMTP Postern"),
    LMTP_GREETING(220, Optional.empty(), "%s LMTP Postern"),
    CLOSING(221, es(2, 0, 0), "%s closing connection"),
    HELO_OK(250, Optional.empty(), "%s"),
    EHLO_FIRST(250, Optional.empty(), "%s greets %s"),
    OK(250, es(2, 0, 0), "Ok"),
    SENDER_OK(250, es(2, 1, 0), "Sender ok"),
    RECIPIENT_OK(250, es(2, 1, 5), "Recipient ok"),
    QUEUED(250, es(2, 0, 0), "Ok: queued as %s"),
    DELIVERED(250, es(2, 1, 5), "%s delivered as %s"),
    CHUNK_OK(250, es(2, 0, 0), "%d octets received"),
    RESET_OK(250, es(2, 0, 0), "Reset state"),
    HELP(214, es(2, 0, 0), "See RFC 5321; commands: EHLO HELO MAIL RCPT DATA BDAT RSET NOOP QUIT STARTTLS AUTH HELP"),
    VRFY(252, es(2, 5, 2), "Cannot VRFY user; send mail and we will try"),
    AUTH_OK(235, es(2, 7, 0), "Authentication successful"),
    AUTH_CHALLENGE(334, Optional.empty(), "%s"),
    START_DATA(354, Optional.empty(), "End data with <CR><LF>.<CR><LF>"),
    START_TLS(220, es(2, 0, 0), "Ready to start TLS"),

    SHUTTING_DOWN(421, es(4, 3, 2), "%s service shutting down"),
    /** %s: host name, then the protocol (SMTP, submission) a delivery-only node does not serve. */
    NOT_SERVED(421, es(4, 3, 2), "%s %s is not served by a delivery node"),
    TOO_MANY_CONNECTIONS(421, es(4, 7, 0), "%s too many connections, try again later"),
    TOO_MANY_ERRORS(421, es(4, 7, 0), "%s too many errors, closing connection"),
    TOO_MANY_AUTH_FAILURES(421, es(4, 7, 0), "%s too many authentication failures, closing connection"),
    TIMEOUT(421, es(4, 4, 2), "%s timeout exceeded, closing connection"),
    DIRECTORY_TEMP_FAIL(451, es(4, 4, 3), "Directory unavailable, try again later"),
    DATA_TOO_SLOW(451, es(4, 4, 2), "%s message data arrived too slowly, closing connection"),
    LOCAL_ERROR(451, es(4, 3, 0), "Local error in processing, try again later"),
    STORAGE_TEMP_FAIL(452, es(4, 3, 1), "Insufficient system storage, try again later"),
    TOO_MANY_RECIPIENTS(452, es(4, 5, 3), "Too many recipients"),
    SENDER_TOO_MANY_RECIPIENTS(452, Optional.of(EnhancedStatus.TOO_MANY_RECIPIENTS),
            "Too many recipients for this sender in one message; send the rest in another message"),
    SENDER_RATE_LIMITED(451, Optional.of(EnhancedStatus.RATE_LIMITED),
            "Too many messages from this sender in the last hour, try again later"),
    AUTH_TEMP_FAIL(454, es(4, 7, 0), "Temporary authentication failure"),
    AUTH_LOCKED(454, es(4, 7, 0), "Too many failed logins for this user from your network, try again later"),
    TLS_NOT_AVAILABLE(454, es(4, 7, 0), "TLS not available"),

    LINE_TOO_LONG(500, es(5, 5, 2), "Line too long"),
    TEXT_LINE_TOO_LONG(500, es(5, 5, 2), "Message line too long"),
    BAD_CHARACTERS(500, es(5, 5, 2), "Invalid characters in command"),
    UNKNOWN_COMMAND(500, es(5, 5, 1), "Command unrecognized"),
    SYNTAX(501, es(5, 5, 4), "Syntax error in parameters or arguments"),
    PARAMETER_CONTROL_CHARACTERS(501, es(5, 5, 4), "Control characters in parameter value"),
    BAD_SENDER_SYNTAX(501, es(5, 1, 7), "Bad sender address syntax"),
    BAD_RECIPIENT_SYNTAX(501, es(5, 1, 3), "Bad recipient address syntax"),
    AUTH_CANCELLED(501, es(5, 0, 0), "Authentication cancelled"),
    AUTH_MALFORMED(501, es(5, 5, 2), "Malformed authentication response"),
    NOT_IMPLEMENTED(502, es(5, 5, 1), "Command not implemented"),
    BAD_SEQUENCE(503, es(5, 5, 1), "Bad sequence of commands"),
    HELO_FIRST(503, es(5, 5, 1), "Send HELO/EHLO first"),
    NESTED_MAIL(503, es(5, 5, 1), "Sender already specified"),
    NEED_MAIL(503, es(5, 5, 1), "Need MAIL command"),
    ALREADY_AUTHENTICATED(503, es(5, 5, 1), "Already authenticated"),
    ALREADY_TLS(503, es(5, 5, 1), "TLS already active"),
    MIXED_DATA_BDAT(503, es(5, 5, 1), "Cannot mix DATA and BDAT"),
    UNKNOWN_MECHANISM(504, es(5, 5, 4), "Unrecognized authentication mechanism"),
    AUTH_REQUIRED(530, es(5, 7, 0), "Authentication required"),
    AUTH_FAILED(535, es(5, 7, 8), "Authentication credentials invalid"),
    ENCRYPTION_REQUIRED(538, es(5, 7, 11), "Encryption required for requested authentication mechanism"),
    UNKNOWN_USER(550, es(5, 1, 1), "Recipient address rejected: user unknown"),
    DISABLED_MAILBOX(550, es(5, 2, 1), "Recipient address rejected: mailbox disabled"),
    GROUP_RESTRICTED(550, es(5, 7, 1), "Recipient address rejected: not allowed to send to this group"),
    MESSAGE_TOO_BIG(552, es(5, 3, 4), "Message size exceeds fixed maximum message size"),
    MAILBOX_FULL(552, es(5, 2, 2), "Mailbox full"),
    SENDER_NOT_OWNED(553, es(5, 7, 1), "Sender address rejected: not owned by user %s"),
    SENDER_NOT_LOGGED_IN(553, es(5, 7, 1), "Sender address rejected: a local domain needs authentication"),
    UTF8_NEEDS_SMTPUTF8(553, es(5, 6, 7), "Non-ASCII address requires SMTPUTF8"),
    RELAY_DENIED(554, es(5, 7, 1), "Relay access denied"),
    RELAY_NOT_PERMITTED(550, Optional.of(EnhancedStatus.NOT_AUTHORIZED),
            "Relay access denied: your account may send only to internal recipients"),
    NO_VALID_RECIPIENTS(554, es(5, 5, 1), "No valid recipients"),
    BARE_LINE_ENDING(554, es(5, 5, 2), "Bare <CR> or <LF> received; only <CR><LF> line endings are accepted"),
    MAIL_LOOP(554, es(5, 4, 6), "Too many Received headers: mail loop detected"),
    DELIVERED_TO_LOOP(554, es(5, 4, 6), "Mail forwarding loop: the message was already delivered to this mailbox"),
    EARLY_TALKER(554, es(5, 5, 1), "Protocol error: client sent data before the greeting"),
    UNKNOWN_PARAMETER(555, es(5, 5, 4), "Unsupported MAIL/RCPT parameter");

    private final int code;
    private final Optional<EnhancedStatus> status;
    private final String template;

    SmtpReply(int code, Optional<EnhancedStatus> status, String template) {
        this.code = code;
        this.status = status;
        this.template = template;
    }

    public int code() {
        return code;
    }

    /** The RFC 3463 code this reply carries; empty for the few replies that have none (220, 334, 354, HELO). */
    public Optional<EnhancedStatus> status() {
        return status;
    }

    /** True for 4xx and 5xx: counted against the session's error limit. */
    public boolean isError() {
        return code >= 400;
    }

    /** This reply with its placeholders filled. */
    public Reply with(Object... args) {
        return Reply.of(code, status, template, args);
    }

    /** This reply with another enhanced status of the same class (a storage failure's own 4.3.1 or 4.2.2). */
    public Reply withStatus(EnhancedStatus other, Object... args) {
        if (other.statusClass() != code / 100) {
            throw new IllegalArgumentException(other + " does not fit reply code " + code);
        }
        return Reply.of(code, Optional.of(other), template, args);
    }

    /** One reply line with CRLF: {@code 250 2.0.0 Ok}. */
    public String line(Object... args) {
        return with(args).line();
    }

    /** A continuation line of a multi-line reply: {@code 250-...}. */
    public String continuation(Object... args) {
        return with(args).continuation();
    }

    private static Optional<EnhancedStatus> es(int statusClass, int subject, int detail) {
        return Optional.of(new EnhancedStatus(statusClass, subject, detail));
    }
}
