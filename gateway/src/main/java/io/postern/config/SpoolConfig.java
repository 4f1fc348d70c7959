package io.postern.config;

import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.time.Duration;
import java.util.Optional;
import java.util.Set;

/**
 * Per-user spools on (shared) storage. Immutable. {@code lockTimeout} bounds how long an mbox
 * delivery waits for the dot-lock and the fcntl lock; a dot-lock older than {@code staleLockAge}
 * was left by a crashed writer and is removed. {@code access}: who may read what Postern writes
 * there (owner only by default; a group for nodes that run as other users of it). {@code sync}: how a
 * Maildir delivery is made durable ({@link SpoolSync}; {@code auto} by default).
 */
public record SpoolConfig(Path root, SpoolFormat format, String layout, Duration lockTimeout, Duration staleLockAge,
                          FileAccess access, SpoolSync sync) {
    public static final Duration DEFAULT_LOCK_TIMEOUT = Duration.ofSeconds(30);
    public static final Duration DEFAULT_STALE_LOCK_AGE = Duration.ofMinutes(10);

    /** The spool with the default mbox lock timings. */
    public SpoolConfig(Path root, SpoolFormat format, String layout) {
        this(root, format, layout, DEFAULT_LOCK_TIMEOUT, DEFAULT_STALE_LOCK_AGE, FileAccess.OWNER_ONLY);
    }

    public SpoolConfig(Path root, SpoolFormat format, String layout, Duration lockTimeout, Duration staleLockAge) {
        this(root, format, layout, lockTimeout, staleLockAge, FileAccess.OWNER_ONLY);
    }

    public SpoolConfig(Path root, SpoolFormat format, String layout, Duration lockTimeout, Duration staleLockAge,
                       FileAccess access) {
        this(root, format, layout, lockTimeout, staleLockAge, access, SpoolSync.AUTO);
    }

    /** This spool with {@code sync} instead. */
    public SpoolConfig withSync(SpoolSync sync) {
        return new SpoolConfig(root, format, layout, lockTimeout, staleLockAge, access, sync);
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
        Set<PosixFilePermission> fileMode = mode(node, "fileMode", "0600", "rw-");
        Set<PosixFilePermission> directoryMode = mode(node, "directoryMode", "0700", "rwx");
        Optional<String> group = node.optionalString("group");
        if (group.isPresent() && !group.get().matches("[A-Za-z0-9_][A-Za-z0-9_.-]*")) {
            node.error("group", "'" + group.get() + "' is not a group name");
            group = Optional.empty();
        }
        if (group.isPresent() && !groupExists(group.get())) {
            // Found now rather than at the first delivery, which would defer every message.
            node.error("group", "'" + group.get() + "' is not a group on this system");
            group = Optional.empty();
        }
        SpoolSync sync = node.enumValue("sync", SpoolSync.class, SpoolSync.AUTO);
        return new SpoolConfig(root, format, layout, lockTimeout, staleLockAge,
                new FileAccess(fileMode, directoryMode, group), sync);
    }

    private static boolean groupExists(String name) {
        try {
            java.nio.file.FileSystems.getDefault().getUserPrincipalLookupService().lookupPrincipalByGroupName(name);
            return true;
        } catch (java.io.IOException | UnsupportedOperationException e) {
            return false;
        }
    }

    /** An octal mode that gives the owner {@code owner} and others nothing. */
    private static Set<PosixFilePermission> mode(ConfigNode node, String key, String fallback, String owner) {
        String text = node.string(key, fallback);
        Optional<Set<PosixFilePermission>> mode = FileAccess.parseMode(text);
        Set<PosixFilePermission> defaults = FileAccess.parseMode(fallback).orElseThrow();
        if (mode.isEmpty()) {
            node.error(key, "'" + text + "' is not an octal mode like " + fallback);
            return defaults;
        }
        String symbolic = java.nio.file.attribute.PosixFilePermissions.toString(mode.get());
        if (!symbolic.endsWith("---")) {
            node.error(key, "'" + text + "' gives other users access: spool files hold mail (use spool.group)");
            return defaults;
        }
        if (!symbolic.startsWith(owner)) {
            node.error(key, "'" + text + "' must give the owner " + owner);
            return defaults;
        }
        return mode.get();
    }
}
