package io.postern.queue;

import java.time.Clock;
import java.util.regex.Pattern;

/**
 * Queue ids: 16 upper-case hex digits of a 63-bit number, the arrival millisecond (42 bits) and a
 * sequence (21 bits), so ids sort by arrival and the oldest message is the smallest id. The only
 * way from untrusted text (CLI, admin URL, file names) to an id is {@link #parse}, which accepts
 * exactly that form: nothing else can become part of a queue path. Thread-safe generator.
 */
public final class QueueId {
    public static final int LENGTH = 16;
    private static final Pattern FORM = Pattern.compile("[0-7][0-9A-F]{15}");
    private static final int SEQUENCE_BITS = 21;

    private final Clock clock;
    private long last;

    QueueId(Clock clock) {
        this.clock = clock;
    }

    /** A new id, strictly greater than every id this generator returned before. */
    synchronized long next() {
        long candidate = clock.millis() << SEQUENCE_BITS;
        last = Math.max(last + 1, candidate);
        return last;
    }

    /** Makes every later id greater than {@code id} (an id found on disk, perhaps from a clock that was ahead). */
    synchronized void advancePast(long id) {
        last = Math.max(last, id);
    }

    /** True when {@code text} is a well-formed id; the check every path builder relies on. */
    public static boolean isValid(String text) {
        return text != null && text.length() == LENGTH && FORM.matcher(text).matches();
    }

    /** The id's number, or -1 when {@code text} is not an id. */
    public static long parse(String text) {
        return isValid(text) ? Long.parseUnsignedLong(text, 16) : -1;
    }

    public static String format(long id) {
        if (id < 0) {
            throw new IllegalArgumentException("negative queue id");
        }
        String hex = Long.toHexString(id).toUpperCase(java.util.Locale.ROOT);
        return "0".repeat(LENGTH - hex.length()) + hex;
    }

    /** The arrival millisecond encoded in an id. */
    static long millis(long id) {
        return id >>> SEQUENCE_BITS;
    }
}
