package io.postern.config;

/**
 * How a Maildir delivery makes its message durable before it reports success ({@code spool.sync}).
 * {@code FILE}: fsync of the message file and of {@code new/}, per delivery. {@code FILESYSTEM}: one
 * {@code syncfs(2)} of the spool's file system shared by every delivery waiting at that moment.
 * {@code AUTO}: {@code FILESYSTEM} on a local file system known to implement {@code syncfs} fully,
 * else {@code FILE}.
 */
public enum SpoolSync {
    AUTO,
    FILE,
    FILESYSTEM
}
