package io.postern.mailbox;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Base64;

/** Turns a stable name into a UIDL (RFC 1939: 1-70 octets in 0x21-0x7E), hashing names that do not fit. */
final class Uids {
    private Uids() {
    }

    static String of(String stableName) {
        if (!stableName.isEmpty() && stableName.length() <= 70
                && stableName.chars().allMatch(c -> c >= 0x21 && c <= 0x7e)) {
            return stableName;
        }
        return "h" + hash(stableName.getBytes(StandardCharsets.UTF_8));
    }

    static String hash(byte[] bytes) {
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(bytes);
            return Base64.getUrlEncoder().withoutPadding().encodeToString(digest).substring(0, 40);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 missing from the JDK", e);
        }
    }
}
