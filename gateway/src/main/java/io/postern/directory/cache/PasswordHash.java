package io.postern.directory.cache;

import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.concurrent.atomic.LongAdder;
import javax.crypto.SecretKeyFactory;
import javax.crypto.spec.PBEKeySpec;

/**
 * A salted slow hash of a password (PBKDF2-HMAC-SHA256 from the JDK), so that a remembered login
 * never keeps the password itself in memory: a heap dump yields hashes that cost
 * {@value #ITERATIONS} HMAC rounds per guess. Immutable.
 */
final class PasswordHash {
    /** Slow enough to make guessing expensive, fast enough (a few ms) to be cheaper than an LDAP bind under load. */
    static final int ITERATIONS = 10_000;
    private static final int SALT_BYTES = 16;
    private static final int HASH_BITS = 256;
    private static final SecureRandom RANDOM = new SecureRandom();
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
        char[] chars = password.toCharArray();
        PBEKeySpec spec = new PBEKeySpec(chars, salt, ITERATIONS, HASH_BITS);
        try {
            return SecretKeyFactory.getInstance("PBKDF2WithHmacSHA256").generateSecret(spec).getEncoded();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("PBKDF2WithHmacSHA256 is part of every JDK", e);
        } finally {
            spec.clearPassword();
            Arrays.fill(chars, '\0');
        }
    }

    @Override
    public String toString() {
        return "PasswordHash[pbkdf2-sha256]";
    }
}
