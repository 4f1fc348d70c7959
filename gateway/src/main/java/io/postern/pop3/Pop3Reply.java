package io.postern.pop3;

import java.util.Locale;

/**
 * Every POP3 reply in one place (RFC 1939; response codes from RFC 2449 and RFC 3206): a status,
 * an optional response code and a text, some with {@code %d}/{@code %s} slots the session
 * fills with numbers it has parsed or values it owns. Nothing here echoes client input.
 * {@link #text} has no CRLF (the session adds it; multi-line replies follow it); {@link #line}
 * has. Immutable.
 */
enum Pop3Reply {
    GREETING(Status.OK, Code.NONE, "Postern POP3 server ready"),
    CAPA(Status.OK, Code.NONE, "Capability list follows"),
    BYE(Status.OK, Code.NONE, "Bye"),
    BYE_UPDATED(Status.OK, Code.NONE, "Bye, %d messages deleted"),
    USER_OK(Status.OK, Code.NONE, "Send your password"),
    LOGGED_IN(Status.OK, Code.NONE, "Mailbox locked and ready, %d messages (%d octets)"),
    STLS_GO(Status.OK, Code.NONE, "Begin TLS negotiation"),
    AUTH_MECHANISMS(Status.OK, Code.NONE, "Supported mechanisms follow"),
    STAT(Status.OK, Code.NONE, "%d %d"),
    LIST_ALL(Status.OK, Code.NONE, "%d messages (%d octets)"),
    LIST_ONE(Status.OK, Code.NONE, "%d %d"),
    UIDL_ALL(Status.OK, Code.NONE, "Unique-ID listing follows"),
    UIDL_ONE(Status.OK, Code.NONE, "%d %s"),
    RETR(Status.OK, Code.NONE, "%d octets"),
    TOP(Status.OK, Code.NONE, "Top of message follows"),
    DELE(Status.OK, Code.NONE, "Message %d deleted"),
    RSET(Status.OK, Code.NONE, "%d messages restored"),
    NOOP(Status.OK, Code.NONE, ""),
    SASL_CONTINUE(Status.CONTINUE, Code.NONE, "%s"),
    AUTH_FAILED(Status.ERR, Code.AUTH, "Authentication failed"),
    PLAINTEXT_DISALLOWED(Status.ERR, Code.AUTH, "Plaintext authentication disallowed on non-secure connections, use STLS"),
    TOO_MANY_FAILURES(Status.ERR, Code.SYS_TEMP, "Too many failed logins from your network, try again later"),
    LOGIN_LOCKED(Status.ERR, Code.AUTH, "Too many failed logins for this user from your network, try again later"),
    AUTH_CANCELLED(Status.ERR, Code.NONE, "Authentication cancelled"),
    AUTH_MALFORMED(Status.ERR, Code.NONE, "Malformed authentication data"),
    AUTH_UNKNOWN_MECHANISM(Status.ERR, Code.NONE, "Unsupported authentication mechanism"),
    IN_USE(Status.ERR, Code.IN_USE, "Mailbox is in use by another POP3 session"),
    DIRECTORY_TEMP(Status.ERR, Code.SYS_TEMP, "Directory unavailable, try again later"),
    STORAGE_TEMP(Status.ERR, Code.SYS_TEMP, "Mailbox unavailable, try again later"),
    MAILBOX_PERM(Status.ERR, Code.SYS_PERM, "Mailbox cannot be served, contact your administrator"),
    MESSAGE_UNREADABLE(Status.ERR, Code.SYS_TEMP, "Message cannot be read now"),
    UPDATE_PARTIAL(Status.ERR, Code.SYS_TEMP, "Some deleted messages not removed (%d of %d)"),
    UPDATE_LOCK_LOST(Status.ERR, Code.SYS_TEMP, "Mailbox lock lost, no messages deleted"),
    TOO_MANY_CONNECTIONS(Status.ERR, Code.SYS_TEMP, "Too many connections, try again later"),
    IDLE_TIMEOUT(Status.ERR, Code.NONE, "Idle timeout, closing (nothing deleted)"),
    AUTHORIZATION_TIMEOUT(Status.ERR, Code.NONE, "Login not completed in time, closing"),
    SHUTTING_DOWN(Status.ERR, Code.SYS_TEMP, "Server shutting down"),
    NEED_USER(Status.ERR, Code.NONE, "Send USER first"),
    STLS_UNAVAILABLE(Status.ERR, Code.NONE, "STLS not available on this port"),
    ALREADY_TLS(Status.ERR, Code.NONE, "Already using TLS"),
    NO_SUCH_MESSAGE(Status.ERR, Code.NONE, "No such message"),
    ALREADY_DELETED(Status.ERR, Code.NONE, "Message %d already deleted"),
    BAD_ARGUMENTS(Status.ERR, Code.NONE, "Invalid arguments"),
    WRONG_STATE(Status.ERR, Code.NONE, "Command not valid in this state"),
    UNKNOWN_COMMAND(Status.ERR, Code.NONE, "Unknown command"),
    LINE_TOO_LONG(Status.ERR, Code.NONE, "Line too long"),
    NUL_IN_LINE(Status.ERR, Code.NONE, "NUL octet in command"),
    TOO_MANY_BAD(Status.ERR, Code.NONE, "Too many bad commands, closing"),
    TOO_MANY_PIPELINED(Status.ERR, Code.NONE, "Too many pipelined commands, closing");

    /** The first word of the reply. */
    enum Status {
        OK("+OK"), ERR("-ERR"), CONTINUE("+");

        private final String word;

        Status(String word) {
            this.word = word;
        }
    }

    /** The bracketed response code of RFC 2449 / RFC 3206, or none. */
    enum Code {
        NONE(""), AUTH("[AUTH] "), SYS_TEMP("[SYS/TEMP] "), SYS_PERM("[SYS/PERM] "), IN_USE("[IN-USE] ");

        private final String tag;

        Code(String tag) {
            this.tag = tag;
        }
    }

    private final Status status;
    private final Code code;
    private final String text;

    Pop3Reply(Status status, Code code, String text) {
        this.status = status;
        this.code = code;
        this.text = text;
    }

    Status status() {
        return status;
    }

    Code code() {
        return code;
    }

    boolean isError() {
        return status == Status.ERR;
    }

    /** The reply without CRLF, {@code args} in its slots. */
    String text(Object... args) {
        String plain = status.word + (text.isEmpty() && code == Code.NONE ? "" : " ") + code.tag
                + (args.length == 0 ? text : String.format(Locale.ROOT, text, args));
        return plain;
    }

    /** The reply with its CRLF. */
    String line(Object... args) {
        return text(args) + "\r\n";
    }
}
