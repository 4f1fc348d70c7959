package io.postern.pop3;

/**
 * Every POP3 reply text in one place (RFC 1939; response codes from RFC 2449 and RFC 3206).
 * Replies carry no CRLF; the session adds it. Nothing here echoes client input except numbers
 * the session has already parsed.
 */
final class Pop3Replies {
    private Pop3Replies() {
    }

    static final String GREETING = "+OK Postern POP3 server ready";
    static final String CAPA = "+OK Capability list follows";
    static final String BYE = "+OK Bye";
    static final String BYE_UPDATED = "+OK Bye, %d messages deleted";
    static final String USER_OK = "+OK Send your password";
    static final String LOGGED_IN = "+OK Mailbox locked and ready, %d messages (%d octets)";
    static final String STLS_GO = "+OK Begin TLS negotiation";
    static final String AUTH_MECHANISMS = "+OK Supported mechanisms follow";
    static final String STAT = "+OK %d %d";
    static final String LIST_ALL = "+OK %d messages (%d octets)";
    static final String LIST_ONE = "+OK %d %d";
    static final String UIDL_ALL = "+OK Unique-ID listing follows";
    static final String UIDL_ONE = "+OK %d %s";
    static final String RETR = "+OK %d octets";
    static final String TOP = "+OK Top of message follows";
    static final String DELE = "+OK Message %d deleted";
    static final String RSET = "+OK %d messages restored";
    static final String NOOP = "+OK";
    static final String SASL_CONTINUE = "+ %s";

    static final String AUTH_FAILED = "-ERR [AUTH] Authentication failed";
    static final String PLAINTEXT_DISALLOWED =
            "-ERR [AUTH] Plaintext authentication disallowed on non-secure connections, use STLS";
    static final String TOO_MANY_FAILURES = "-ERR [SYS/TEMP] Too many failed logins from your network, try again later";
    static final String LOGIN_LOCKED = "-ERR [AUTH] Too many failed logins for this user from your network, try again later";
    static final String AUTH_CANCELLED = "-ERR Authentication cancelled";
    static final String AUTH_MALFORMED = "-ERR Malformed authentication data";
    static final String AUTH_UNKNOWN_MECHANISM = "-ERR Unsupported authentication mechanism";
    static final String IN_USE = "-ERR [IN-USE] Mailbox is in use by another POP3 session";
    static final String DIRECTORY_TEMP = "-ERR [SYS/TEMP] Directory unavailable, try again later";
    static final String STORAGE_TEMP = "-ERR [SYS/TEMP] Mailbox unavailable, try again later";
    static final String MAILBOX_PERM = "-ERR [SYS/PERM] Mailbox cannot be served, contact your administrator";
    static final String MESSAGE_UNREADABLE = "-ERR [SYS/TEMP] Message cannot be read now";
    static final String UPDATE_PARTIAL = "-ERR [SYS/TEMP] Some deleted messages not removed (%d of %d)";
    static final String UPDATE_LOCK_LOST = "-ERR [SYS/TEMP] Mailbox lock lost, no messages deleted";
    static final String TOO_MANY_CONNECTIONS = "-ERR [SYS/TEMP] Too many connections, try again later";
    static final String IDLE_TIMEOUT = "-ERR Idle timeout, closing (nothing deleted)";
    static final String AUTHORIZATION_TIMEOUT = "-ERR Login not completed in time, closing";
    static final String SHUTTING_DOWN = "-ERR [SYS/TEMP] Server shutting down";

    static final String NEED_USER = "-ERR Send USER first";
    static final String STLS_UNAVAILABLE = "-ERR STLS not available on this port";
    static final String ALREADY_TLS = "-ERR Already using TLS";
    static final String NO_SUCH_MESSAGE = "-ERR No such message";
    static final String ALREADY_DELETED = "-ERR Message %d already deleted";
    static final String BAD_ARGUMENTS = "-ERR Invalid arguments";
    static final String WRONG_STATE = "-ERR Command not valid in this state";
    static final String UNKNOWN_COMMAND = "-ERR Unknown command";
    static final String LINE_TOO_LONG = "-ERR Line too long";
    static final String NUL_IN_LINE = "-ERR NUL octet in command";
    static final String TOO_MANY_BAD = "-ERR Too many bad commands, closing";
    static final String TOO_MANY_PIPELINED = "-ERR Too many pipelined commands, closing";
}
