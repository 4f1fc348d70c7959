package io.postern.directory.cache;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.concurrent.atomic.LongAdder;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * A keyed hash of a password (HMAC-SHA256 under a random key made when the process starts and
 * held only in its memory, plus a random salt per entry), so that a remembered login never keeps
 * the password itself. A slow hash would buy nothing here: the cache lives in the process that
 * sees every password in clear anyway, and a slow hash made a remembered login cost more CPU
 * than an LDAP bind. What a heap dump yields (key and hashes) still does not contain a password;
 * it allows guessing at HMAC speed, which docs/cache.md states. Immutable.
 */
final class PasswordHash {
    private static final int SALT_BYTES = 16;
    private static final SecureRandom RANDOM = new SecureRandom();
    private static final SecretKeySpec PROCESS_KEY = processKey();
    /** Derivations so far, for tests that check that every path pays the same number. */
    static final LongAdder DERIVATIONS = new LongAdder();

    private final byte[] salt;
    private final byte[] hash;

    private PasswordHash(byte[] salt, byte[] hash) {
        this.salt = salt;
        this.hash = hash;
    }

    static PasswordHash of(String password) {
        byte[] salt = new byte[SALT_BYTES];
        RANDOM.nextBytes(salt);
        return new PasswordHash(salt, derive(password, salt));
    }

    /** Whether {@code password} is the one hashed, in time independent of where they differ. */
    boolean matches(String password) {
        return MessageDigest.isEqual(hash, derive(password, salt));
    }

    /** The stored hash, for tests that check it is not the password. */
    byte[] hashBytes() {
        return hash.clone();
    }

    private static byte[] derive(String password, byte[] salt) {
        DERIVATIONS.increment();
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(PROCESS_KEY);
            mac.update(salt);
            return mac.doFinal(password.getBytes(StandardCharsets.UTF_8));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 is part of every JDK", e);
        }
    }

    private static SecretKeySpec processKey() {
        byte[] key = new byte[32];
        RANDOM.nextBytes(key);
        return new SecretKeySpec(key, "HmacSHA256");
    }

    @Override
    public String toString() {
        return "PasswordHash[hmac-sha256]";
    }
}
