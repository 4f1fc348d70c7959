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
    /** RFC 3463 5.7.1: delivery not authorized (an account without the relay permission). */
    public static final EnhancedStatus NOT_AUTHORIZED = new EnhancedStatus(5, 7, 1);
    /** RFC 3463 4.5.3: too many recipients (a per-sender cap; the transaction goes on). */
    public static final EnhancedStatus TOO_MANY_RECIPIENTS = new EnhancedStatus(4, 5, 3);
    /** 4.7.1: not authorized now (a per-sender rate limit; retry later). */
    public static final EnhancedStatus RATE_LIMITED = new EnhancedStatus(4, 7, 1);

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
