package io.postern.mail;

import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * An RFC 3463 enhanced status code such as {@code 5.1.1}: class (2 success, 4 transient,
 * 5 permanent), subject and detail. Immutable. Every reply, queue record, DSN and log line
 * carries one of these instead of a string, so a deferral can never carry a {@code 5.x.x}
 * by accident: {@link RecipientOutcome} checks the class against the outcome.
 */
public record EnhancedStatus(int statusClass, int subject, int detail) {
    private static final Pattern TEXT = Pattern.compile("([245])\\.(\\d{1,3})\\.(\\d{1,3})");

    public static final EnhancedStatus OK = new EnhancedStatus(2, 0, 0);
    public static final EnhancedStatus SENDER_OK = new EnhancedStatus(2, 1, 0);
    public static final EnhancedStatus RECIPIENT_OK = new EnhancedStatus(2, 1, 5);
    public static final EnhancedStatus TEMPORARY = new EnhancedStatus(4, 0, 0);
    public static final EnhancedStatus PERMANENT = new EnhancedStatus(5, 0, 0);
    /** The directory (or DNS) could not answer: try again later. */
    public static final EnhancedStatus DIRECTORY_UNAVAILABLE = new EnhancedStatus(4, 4, 3);
    /** The queue's own trouble during an attempt (the agent threw). */
    public static final EnhancedStatus SYSTEM_TEMPORARY = new EnhancedStatus(4, 3, 0);
    /** Given up after the queue's maximum lifetime (RFC 3463: delivery time expired). */
    public static final EnhancedStatus EXPIRED = new EnhancedStatus(4, 4, 7);
    /** No route or transport for the destination now (RFC 3463 X.4.0). */
    public static final EnhancedStatus ROUTING_TEMPORARY = new EnhancedStatus(4, 4, 0);
    /** Mailbox disabled (RFC 3463 X.2.1). */
    public static final EnhancedStatus MAILBOX_DISABLED = new EnhancedStatus(5, 2, 1);
    /** Mailbox full (RFC 3463 X.2.2). */
    public static final EnhancedStatus MAILBOX_FULL = new EnhancedStatus(5, 2, 2);
    /** Mailbox busy (locked), try later (RFC 3463 X.2.0). */
    public static final EnhancedStatus MAILBOX_BUSY = new EnhancedStatus(4, 2, 0);
    /** The spool path is refused (RFC 3463 X.3.0, mail system). */
    public static final EnhancedStatus SPOOL_REFUSED = new EnhancedStatus(5, 3, 0);
    /** A mail forwarding loop (RFC 3463 X.4.6). */
    public static final EnhancedStatus LOOP = new EnhancedStatus(5, 4, 6);
    /** The mail system cannot store the message now: disk full, I/O error (RFC 3463 X.3.1). */
    public static final EnhancedStatus STORAGE_TEMPORARY = new EnhancedStatus(4, 3, 1);
    /** Returned to the sender by the operator. */
    public static final EnhancedStatus RETURNED_BY_OPERATOR = new EnhancedStatus(5, 0, 0);
    /** RFC 3463 5.7.1: delivery not authorized (an account without the relay permission). */
    public static final EnhancedStatus NOT_AUTHORIZED = new EnhancedStatus(5, 7, 1);
    /** RFC 3463 4.5.3: too many recipients now (a per-sender cap; the transaction goes on). */
    public static final EnhancedStatus TOO_MANY_RECIPIENTS = new EnhancedStatus(4, 5, 3);
    /** 4.7.1: not authorized now (a per-sender rate limit; retry later). */
    public static final EnhancedStatus RATE_LIMITED = new EnhancedStatus(4, 7, 1);
    /** No such mailbox (RFC 3463 X.1.1). */
    public static final EnhancedStatus NO_SUCH_USER = new EnhancedStatus(5, 1, 1);
    /** The destination domain does not exist or is not a valid name (RFC 3463 X.1.2). */
    public static final EnhancedStatus BAD_DESTINATION_SYSTEM = new EnhancedStatus(5, 1, 2);
    /** The destination domain publishes a null MX: it accepts no mail (RFC 7505). */
    public static final EnhancedStatus NULL_MX = new EnhancedStatus(5, 1, 10);
    /** Too many recipients, for good (an expansion past its limit; RFC 3463 X.5.3). */
    public static final EnhancedStatus TOO_MANY_RECIPIENTS_PERMANENT = new EnhancedStatus(5, 5, 3);
    /** Message larger than a system limit (RFC 3463 X.3.4). */
    public static final EnhancedStatus MESSAGE_TOO_BIG = new EnhancedStatus(5, 3, 4);
    /** A home-server value that names no host (RFC 3463 X.3.5: system incorrectly configured). */
    public static final EnhancedStatus ROUTING_UNREADABLE = new EnhancedStatus(4, 3, 5);
    /** Unable to route: no host of the destination can be reached at all (RFC 3463 X.4.4). */
    public static final EnhancedStatus UNABLE_TO_ROUTE = new EnhancedStatus(5, 4, 4);

    public EnhancedStatus {
        if (statusClass != 2 && statusClass != 4 && statusClass != 5) {
            throw new IllegalArgumentException("enhanced status class must be 2, 4 or 5, got " + statusClass);
        }
        if (subject < 0 || subject > 999 || detail < 0 || detail > 999) {
            throw new IllegalArgumentException("enhanced status subject and detail must be 0-999");
        }
    }

    /** Parses {@code "4.4.3"}; anything else, including surrounding text, is a programming error. */
    public static EnhancedStatus of(String text) {
        return parse(text).orElseThrow(() -> new IllegalArgumentException("not an enhanced status code: " + text));
    }

    /** Parses untrusted text (a remote server's reply, a queue file): empty when it is not a code. */
    public static Optional<EnhancedStatus> parse(String text) {
        if (text == null) {
            return Optional.empty();
        }
        Matcher m = TEXT.matcher(text);
        if (!m.matches()) {
            return Optional.empty();
        }
        return Optional.of(new EnhancedStatus(Integer.parseInt(m.group(1)), Integer.parseInt(m.group(2)),
                Integer.parseInt(m.group(3))));
    }

    public boolean isSuccess() {
        return statusClass == 2;
    }

    public boolean isTransient() {
        return statusClass == 4;
    }

    public boolean isPermanent() {
        return statusClass == 5;
    }

    /** The same subject and detail in another class: a remote {@code 5.1.1} kept as {@code 4.1.1} while retrying. */
    public EnhancedStatus withClass(int newClass) {
        return new EnhancedStatus(newClass, subject, detail);
    }

    @Override
    public String toString() {
        return statusClass + "." + subject + "." + detail;
    }
}
