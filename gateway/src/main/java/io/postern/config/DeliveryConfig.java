package io.postern.config;

import java.nio.file.Path;

/**
 * Local delivery: how far routing expands aliases, groups and forwards, how many threads write
 * spools, and where LMTP content waits until it is delivered: in memory up to
 * {@code memoryThreshold} bytes per message, on disk beyond (memory stays bounded by sessions
 * times threshold, whatever the message size).
 * There is deliberately no switch to turn fsync off: a delivery is complete only when fsync'd.
 * Immutable.
 */
public record DeliveryConfig(int maxExpansionDepth, int maxExpandedRecipients, int threads, Path tempDirectory,
                             long memoryThreshold, int lmtpMaxConnectionsPerClient) {
    public static final int DEFAULT_MAX_EXPANSION_DEPTH = 10;
    public static final int DEFAULT_MAX_EXPANDED_RECIPIENTS = 1000;
    public static final int DEFAULT_THREADS = 4;
    public static final long DEFAULT_MEMORY_THRESHOLD = 256 * 1024;
    public static final long MAX_MEMORY_THRESHOLD = 16 * 1024 * 1024;
    /** Above the front's default {@code outbound.handoff.maxSessionsPerWorker} (16) several times over. */
    public static final int DEFAULT_LMTP_MAX_CONNECTIONS_PER_CLIENT = 128;

    public DeliveryConfig {
        if (maxExpansionDepth < 1 || maxExpandedRecipients < 1 || threads < 1) {
            throw new IllegalArgumentException("delivery limits must be at least 1");
        }
        if (memoryThreshold < 0 || memoryThreshold > MAX_MEMORY_THRESHOLD) {
            throw new IllegalArgumentException("memoryThreshold out of range: " + memoryThreshold);
        }
        if (lmtpMaxConnectionsPerClient < 1) {
            throw new IllegalArgumentException("lmtpMaxConnectionsPerClient must be at least 1");
        }
        tempDirectory = tempDirectory.toAbsolutePath().normalize();
    }

    public DeliveryConfig(int maxExpansionDepth, int maxExpandedRecipients, int threads, Path tempDirectory,
                          long memoryThreshold) {
        this(maxExpansionDepth, maxExpandedRecipients, threads, tempDirectory, memoryThreshold,
                DEFAULT_LMTP_MAX_CONNECTIONS_PER_CLIENT);
    }

    /** The defaults, with LMTP content waiting under {@code tempDirectory}. */
    public static DeliveryConfig defaults(Path tempDirectory) {
        return new DeliveryConfig(DEFAULT_MAX_EXPANSION_DEPTH, DEFAULT_MAX_EXPANDED_RECIPIENTS, DEFAULT_THREADS,
                tempDirectory, DEFAULT_MEMORY_THRESHOLD);
    }

    static DeliveryConfig from(ConfigNode node, Path base) {
        return new DeliveryConfig(
                node.integer("maxExpansionDepth", DEFAULT_MAX_EXPANSION_DEPTH, 1, 100),
                node.integer("maxExpandedRecipients", DEFAULT_MAX_EXPANDED_RECIPIENTS, 1, 100_000),
                node.integer("threads", DEFAULT_THREADS, 1, 256),
                base.resolve(node.string("tempDirectory", "var/delivery-tmp")),
                memoryThreshold(node),
                node.integer("lmtpMaxConnectionsPerClient", DEFAULT_LMTP_MAX_CONNECTIONS_PER_CLIENT, 1, 1_000_000));
    }

    private static long memoryThreshold(ConfigNode node) {
        long value = node.size("memoryThreshold", DEFAULT_MEMORY_THRESHOLD);
        if (value > MAX_MEMORY_THRESHOLD) {
            node.error("memoryThreshold", value + " bytes is more than 16MiB (memory per LMTP session)");
            return DEFAULT_MEMORY_THRESHOLD;
        }
        return value;
    }
}
