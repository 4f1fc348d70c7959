package io.postern.smtp.inbound.session;

import io.postern.milter.MilterChain;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Objects;

/**
 * The milter chain of each MX and submission listener, by listener name, and the directory where
 * a message waits while its milters read it (the queue's own files are not readable before
 * commit, and a milter may replace what is queued). A listener without milters has none here
 * and its messages stream straight into the queue. Immutable; the chains are thread-safe and
 * closed by whoever built them (the node, at shutdown).
 */
public record MessageFilters(Map<String, MilterChain> chains, Path spoolDirectory) {
    public static final MessageFilters NONE = new MessageFilters(Map.of(), Path.of("."));
    private static final MilterChain EMPTY = new MilterChain(java.util.List.of());

    public MessageFilters {
        chains = Map.copyOf(chains);
        Objects.requireNonNull(spoolDirectory);
    }

    /**
     * Filters that spool into {@code spoolDirectory}, created when missing (owner-only) and
     * emptied of what a crashed run left (messages that were never answered with 250).
     */
    public static MessageFilters create(Map<String, MilterChain> chains, Path spoolDirectory) throws IOException {
        if (!chains.isEmpty()) {
            Files.createDirectories(spoolDirectory);
            try (var left = Files.list(spoolDirectory)) {
                for (Path p : left.toList()) {
                    Files.deleteIfExists(p);
                }
            }
        }
        return new MessageFilters(chains, spoolDirectory);
    }

    /** The chain of {@code listener}, or the empty chain. */
    MilterChain chainOf(String listener) {
        MilterChain chain = chains.get(listener);
        return chain == null ? EMPTY : chain;
    }
}
