package io.postern.smtp;

import io.postern.mail.EnhancedStatus;
import java.util.Arrays;
import java.util.Locale;

/**
 * Every reply text Postern's SMTP and LMTP sessions send: code, enhanced status code (RFC 3463)
 * and text. Templates use {@link String#format} placeholders for the few variable parts (host
 * name, queue id, sizes). Immutable. Nothing outside this enum spells a reply.
 */
public enum SmtpReply {
    GREETING(220, "", "%s ESMTP Postern"),
    LMTP_GREETING(220, "", "%s LMTP Postern"),
    CLOSING(221, "2.0.0", "%s closing connection"),
    HELO_OK(250, "", "%s"),
    EHLO_FIRST(250, "", "%s greets %s"),
    OK(250, "2.0.0", "Ok"),
    SENDER_OK(250, "2.1.0", "Sender ok"),
    RECIPIENT_OK(250, "2.1.5", "Recipient ok"),
    QUEUED(250, "2.0.0", "Ok: queued as %s"),
    DELIVERED(250, "2.1.5", "%s delivered as %s"),
    CHUNK_OK(250, "2.0.0", "%d octets received"),
    RESET_OK(250, "2.0.0", "Reset state"),
    HELP(214, "2.0.0", "See RFC 5321; commands: EHLO HELO MAIL RCPT DATA BDAT RSET NOOP QUIT STARTTLS AUTH HELP"),
    VRFY(252, "2.5.2", "Cannot VRFY user; send mail and we will try"),
    AUTH_OK(235, "2.7.0", "Authentication successful"),
    AUTH_CHALLENGE(334, "", "%s"),
    START_DATA(354, "", "End data with <CR><LF>.<CR><LF>"),
    START_TLS(220, "2.0.0", "Ready to start TLS"),

    SHUTTING_DOWN(421, "4.3.2", "%s service shutting down"),
    TOO_MANY_CONNECTIONS(421, "4.7.0", "%s too many connections, try again later"),
    TOO_MANY_ERRORS(421, "4.7.0", "%s too many errors, closing connection"),
    TOO_MANY_AUTH_FAILURES(421, "4.7.0", "%s too many authentication failures, closing connection"),
    TIMEOUT(421, "4.4.2", "%s timeout exceeded, closing connection"),
    DIRECTORY_TEMP_FAIL(451, "4.4.3", "Directory unavailable, try again later"),
    DATA_TOO_SLOW(451, "4.4.2", "%s message data arrived too slowly, closing connection"),
    LOCAL_ERROR(451, "4.3.0", "Local error in processing, try again later"),
    STORAGE_TEMP_FAIL(452, "%s", "Insufficient system storage, try again later"),
    TOO_MANY_RECIPIENTS(452, "4.5.3", "Too many recipients"),
    SENDER_TOO_MANY_RECIPIENTS(452, EnhancedStatus.TOO_MANY_RECIPIENTS.toString(),
            "Too many recipients for this sender in one message; send the rest in another message"),
    SENDER_RATE_LIMITED(451, EnhancedStatus.RATE_LIMITED.toString(),
            "Too many messages from this sender in the last hour, try again later"),
    AUTH_TEMP_FAIL(454, "4.7.0", "Temporary authentication failure"),
    AUTH_LOCKED(454, "4.7.0", "Too many failed logins for this user from your network, try again later"),
    TLS_NOT_AVAILABLE(454, "4.7.0", "TLS not available"),

    LINE_TOO_LONG(500, "5.5.2", "Line too long"),
    TEXT_LINE_TOO_LONG(500, "5.5.2", "Message line too long"),
    BAD_CHARACTERS(500, "5.5.2", "Invalid characters in command"),
    UNKNOWN_COMMAND(500, "5.5.1", "Command unrecognized"),
    SYNTAX(501, "5.5.4", "Syntax error in parameters or arguments"),
    PARAMETER_CONTROL_CHARACTERS(501, "5.5.4", "Control characters in parameter value"),
    BAD_SENDER_SYNTAX(501, "5.1.7", "Bad sender address syntax"),
    BAD_RECIPIENT_SYNTAX(501, "5.1.3", "Bad recipient address syntax"),
    AUTH_CANCELLED(501, "5.0.0", "Authentication cancelled"),
    AUTH_MALFORMED(501, "5.5.2", "Malformed authentication response"),
    NOT_IMPLEMENTED(502, "5.5.1", "Command not implemented"),
    BAD_SEQUENCE(503, "5.5.1", "Bad sequence of commands"),
    HELO_FIRST(503, "5.5.1", "Send HELO/EHLO first"),
    NESTED_MAIL(503, "5.5.1", "Sender already specified"),
    NEED_MAIL(503, "5.5.1", "Need MAIL command"),
    NEED_RCPT(503, "5.5.1", "Need RCPT command"),
    ALREADY_AUTHENTICATED(503, "5.5.1", "Already authenticated"),
    ALREADY_TLS(503, "5.5.1", "TLS already active"),
    MIXED_DATA_BDAT(503, "5.5.1", "Cannot mix DATA and BDAT"),
    UNKNOWN_MECHANISM(504, "5.5.4", "Unrecognized authentication mechanism"),
    AUTH_REQUIRED(530, "5.7.0", "Authentication required"),
    AUTH_FAILED(535, "5.7.8", "Authentication credentials invalid"),
    ENCRYPTION_REQUIRED(538, "5.7.11", "Encryption required for requested authentication mechanism"),
    UNKNOWN_USER(550, "5.1.1", "Recipient address rejected: user unknown"),
    DISABLED_MAILBOX(550, "5.2.1", "Recipient address rejected: mailbox disabled"),
    GROUP_RESTRICTED(550, "5.7.1", "Recipient address rejected: not allowed to send to this group"),
    MESSAGE_TOO_BIG(552, "5.3.4", "Message size exceeds fixed maximum message size"),
    MAILBOX_FULL(552, "5.2.2", "Mailbox full"),
    SENDER_NOT_OWNED(553, "5.7.1", "Sender address rejected: not owned by user %s"),
    SENDER_NOT_LOGGED_IN(553, "5.7.1", "Sender address rejected: a local domain needs authentication"),
    UTF8_NEEDS_SMTPUTF8(553, "5.6.7", "Non-ASCII address requires SMTPUTF8"),
    RELAY_DENIED(554, "5.7.1", "Relay access denied"),
    RELAY_NOT_PERMITTED(550, EnhancedStatus.NOT_AUTHORIZED.toString(),
            "Relay access denied: your account may send only to internal recipients"),
    NO_VALID_RECIPIENTS(554, "5.5.1", "No valid recipients"),
    BARE_LINE_ENDING(554, "5.5.2", "Bare <CR> or <LF> received; only <CR><LF> line endings are accepted"),
    MAIL_LOOP(554, "5.4.6", "Too many Received headers: mail loop detected"),
    DELIVERED_TO_LOOP(554, "5.4.6", "Mail forwarding loop: the message was already delivered to this mailbox"),
    EARLY_TALKER(554, "5.5.1", "Protocol error: client sent data before the greeting"),
    UNKNOWN_PARAMETER(555, "5.5.4", "Unsupported MAIL/RCPT parameter");

    private final int code;
    private final String enhanced;
    private final String template;

    SmtpReply(int code, String enhanced, String template) {
        this.code = code;
        this.enhanced = enhanced;
        this.template = template;
    }

    public int code() {
        return code;
    }

    /** True for 4xx and 5xx: counted against the session's error limit. */
    public boolean isError() {
        return code >= 400;
    }

    /** One reply line with CRLF: {@code 250 2.0.0 Ok}. */
    public String line(Object... args) {
        return render(' ', args);
    }

    /** A continuation line of a multi-line reply: {@code 250-...}. */
    public String continuation(Object... args) {
        return render('-', args);
    }

    private String render(char separator, Object... args) {
        // A variable part can come from the client (a login, a HELO name): it must never end the
        // reply line early or start another one.
        args = Arrays.stream(args).map(SmtpReply::oneLine).toArray();
        String text = args.length == 0 ? template : String.format(Locale.ROOT, template, args);
        String status = enhanced.isEmpty() ? "" : String.format(Locale.ROOT, enhanced, args) + " ";
        if (enhanced.contains("%s")) {
            // The enhanced code itself is the argument (STORAGE_TEMP_FAIL): it is not part of the text.
            status = args[0] + " ";
            text = template;
        }
        return code + String.valueOf(separator) + status + text + "\r\n";
    }

    /** A reply built from a code and enhanced code decided elsewhere (LMTP per-recipient outcomes). */
    public static String custom(int code, String enhanced, String text) {
        return code + " " + enhanced + " " + oneLine(text) + "\r\n";
    }

    /** Text with every C0 and C1 control character (CR, LF, NUL among them) made a space; numbers as they are. */
    private static Object oneLine(Object value) {
        if (value instanceof Number) {
            return value;
        }
        return String.valueOf(value).replaceAll("[\\x00-\\x1f\\x7f-\\x9f\\u2028\\u2029]", " ");
    }
}
