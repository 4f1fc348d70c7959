package io.postern.mailbox;

import java.util.OptionalLong;
import java.util.TreeSet;

/**
 * The parts of a Maildir file name {@code <base>[:2,<flags>]}: the base never changes when the
 * message moves from {@code new/} to {@code cur/} or gains flags, so it is the UIDL. Sizes come
 * from the {@code ,W=} (size with CRLF line ends, Dovecot) or {@code ,S=} field of the base.
 * Immutable.
 */
record MaildirName(String base, String flags, boolean hasInfo) {

    static MaildirName parse(String fileName) {
        int colon = fileName.indexOf(":2,");
        if (colon < 0) {
            return new MaildirName(fileName, "", false);
        }
        return new MaildirName(fileName.substring(0, colon), fileName.substring(colon + 3), true);
    }

    /** The octets as sent, when the name says: {@code W=} first (CRLF size), then {@code S=}. */
    OptionalLong declaredSize() {
        OptionalLong w = field("W");
        return w.isPresent() ? w : field("S");
    }

    private OptionalLong field(String key) {
        for (String part : base.split(",")) {
            if (part.startsWith(key + "=")) {
                try {
                    long value = Long.parseLong(part.substring(key.length() + 1));
                    if (value >= 0) {
                        return OptionalLong.of(value);
                    }
                } catch (NumberFormatException e) {
                    return OptionalLong.empty();
                }
            }
        }
        return OptionalLong.empty();
    }

    /** Leading seconds of the conventional {@code time.unique.host} name, for delivery order. */
    long timestamp() {
        int end = 0;
        while (end < base.length() && end < 18 && Character.isDigit(base.charAt(end))) {
            end++;
        }
        return end == 0 ? Long.MAX_VALUE : Long.parseLong(base.substring(0, end));
    }

    /** The file name in {@code cur/} once seen: flags kept, {@code S} added, in ASCII order. */
    String seenName() {
        TreeSet<Character> set = new TreeSet<>();
        for (char c : flags.toCharArray()) {
            set.add(c);
        }
        set.add('S');
        StringBuilder out = new StringBuilder(base).append(":2,");
        set.forEach(out::append);
        return out.toString();
    }

    boolean seen() {
        return hasInfo && flags.indexOf('S') >= 0;
    }
}
