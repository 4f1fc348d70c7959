package io.postern.config;

import java.nio.file.Path;

/**
 * Local delivery: how far routing expands aliases, groups and forwards, how many threads write
 * spools, and where LMTP content waits (on disk, never whole in heap) until it is delivered.
 * There is deliberately no switch to turn fsync off: a delivery is complete only when fsync'd.
 * Immutable.
 */
public record DeliveryConfig(int maxExpansionDepth, int maxExpandedRecipients, int threads, Path tempDirectory) {
    public static final int DEFAULT_MAX_EXPANSION_DEPTH = 10;
    public static final int DEFAULT_MAX_EXPANDED_RECIPIENTS = 1000;
    public static final int DEFAULT_THREADS = 4;

    public DeliveryConfig {
        if (maxExpansionDepth < 1 || maxExpandedRecipients < 1 || threads < 1) {
            throw new IllegalArgumentException("delivery limits must be at least 1");
        }
        tempDirectory = tempDirectory.toAbsolutePath().normalize();
    }

    /** The defaults, with LMTP content waiting under {@code tempDirectory}. */
    public static DeliveryConfig defaults(Path tempDirectory) {
        return new DeliveryConfig(DEFAULT_MAX_EXPANSION_DEPTH, DEFAULT_MAX_EXPANDED_RECIPIENTS, DEFAULT_THREADS,
                tempDirectory);
    }

    static DeliveryConfig from(ConfigNode node, Path base) {
        return new DeliveryConfig(
                node.integer("maxExpansionDepth", DEFAULT_MAX_EXPANSION_DEPTH, 1, 100),
                node.integer("maxExpandedRecipients", DEFAULT_MAX_EXPANDED_RECIPIENTS, 1, 100_000),
                node.integer("threads", DEFAULT_THREADS, 1, 256),
                base.resolve(node.string("tempDirectory", "var/delivery-tmp")));
    }
}
