package io.postern.config;

import java.nio.file.Path;
import java.time.Duration;

/**
 * Per-user spools on (shared) storage. Immutable. {@code lockTimeout} bounds how long an mbox
 * delivery waits for the dot-lock and the fcntl lock; a dot-lock older than {@code staleLockAge}
 * was left by a crashed writer and is removed.
 */
public record SpoolConfig(Path root, SpoolFormat format, String layout, Duration lockTimeout, Duration staleLockAge) {
    public static final Duration DEFAULT_LOCK_TIMEOUT = Duration.ofSeconds(30);
    public static final Duration DEFAULT_STALE_LOCK_AGE = Duration.ofMinutes(10);

    /** The spool with the default mbox lock timings. */
    public SpoolConfig(Path root, SpoolFormat format, String layout) {
        this(root, format, layout, DEFAULT_LOCK_TIMEOUT, DEFAULT_STALE_LOCK_AGE);
    }

    static SpoolConfig from(ConfigNode node, Path base) {
        Path root = base.resolve(node.string("root", "var/spool"));
        SpoolFormat format = node.enumValue("format", SpoolFormat.class, SpoolFormat.MAILDIR);
        String layout = node.string("layout", "{domain}/{localpart}");
        if (!layout.contains("{localpart}")) {
            node.error("layout", "'" + layout + "' must contain {localpart}");
        }
        if (layout.startsWith("/") || layout.contains("..")) {
            node.error("layout", "'" + layout + "' must be relative to spool.root and must not contain '..'");
        }
        Duration lockTimeout = node.duration("lockTimeout", DEFAULT_LOCK_TIMEOUT);
        if (lockTimeout.isZero()) {
            node.error("lockTimeout", "must be more than 0");
        }
        Duration staleLockAge = node.duration("staleLockAge", DEFAULT_STALE_LOCK_AGE);
        if (staleLockAge.compareTo(lockTimeout) <= 0) {
            node.error("staleLockAge", staleLockAge + " must be longer than lockTimeout (" + lockTimeout + ")");
        }
        return new SpoolConfig(root, format, layout, lockTimeout, staleLockAge);
    }
}
