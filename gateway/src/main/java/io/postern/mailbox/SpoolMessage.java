package io.postern.mailbox;

import java.util.Objects;

/**
 * One message of a mailbox snapshot: its stable unique id (RFC 1939 UIDL: 1-70 octets in
 * 0x21-0x7E) and its size in octets as sent (CRLF line ends, before dot-stuffing). Immutable.
 */
public record SpoolMessage(String uid, long size) {
    public SpoolMessage {
        Objects.requireNonNull(uid);
        if (uid.isEmpty() || uid.length() > 70 || !uid.chars().allMatch(c -> c >= 0x21 && c <= 0x7e)) {
            throw new IllegalArgumentException("not a UIDL: " + uid);
        }
        if (size < 0) {
            throw new IllegalArgumentException("negative size");
        }
    }
}
