package io.postern.config;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The node-local durable queue: where it lives, how long a message may stay, how retries are
 * spaced, how many deliveries run at once (in all and per destination: {@code destinationConcurrency}
 * is the one per-destination limit, for the queue's destination table and outbound sessions alike), and how the
 * group commit batches fsyncs. Immutable; defaults and validation in {@link #from}.
 *
 * @param retrySchedule delay before attempt 2, 3, ...; the last entry repeats until {@code maxLifetime}
 * @param delayNotice   send a delay DSN once a message is this old; {@link Duration#ZERO} is off
 * @param postmaster    where undeliverable bounces go; empty means {@code postmaster@<first domain>}
 * @param bounceRateLimit  notices to senders that neither logged in nor came from a trusted network:
 *                         at most this many per recipient domain per {@code bounceRateWindow}; 0 is no limit
 */
public record QueueConfig(
        Path directory,
        Duration maxLifetime,
        List<Duration> retrySchedule,
        int maxConcurrentDeliveries,
        int destinationConcurrency,
        int destinationFailureThreshold,
        Duration destinationBackoff,
        Duration delayNotice,
        int commitBatchSize,
        Duration commitMaxDelay,
        int commitSyncThreads,
        long bounceSizeLimit,
        Optional<String> postmaster,
        int bounceRateLimit,
        Duration bounceRateWindow) {

    public static final List<Duration> DEFAULT_RETRY_SCHEDULE = List.of(Duration.ofMinutes(1), Duration.ofMinutes(5),
            Duration.ofMinutes(15), Duration.ofMinutes(30), Duration.ofHours(1), Duration.ofHours(2), Duration.ofHours(4));
    public static final int DEFAULT_BOUNCE_RATE_LIMIT = 100;
    public static final Duration DEFAULT_BOUNCE_RATE_WINDOW = Duration.ofHours(1);
    private static final Pattern DURATION = Pattern.compile("(\\d+)(ms|s|m|h|d)");

    /** The same settings for another queue directory (a node delivering a stopped node's queue). */
    public QueueConfig withDirectory(Path other) {
        return new QueueConfig(other, maxLifetime, retrySchedule, maxConcurrentDeliveries, destinationConcurrency,
                destinationFailureThreshold, destinationBackoff, delayNotice, commitBatchSize, commitMaxDelay,
                commitSyncThreads, bounceSizeLimit, postmaster, bounceRateLimit, bounceRateWindow);
    }

    public QueueConfig {
        Objects.requireNonNull(directory);
        Objects.requireNonNull(maxLifetime);
        retrySchedule = List.copyOf(retrySchedule);
        if (retrySchedule.isEmpty()) {
            throw new IllegalArgumentException("retrySchedule is empty");
        }
        Objects.requireNonNull(destinationBackoff);
        Objects.requireNonNull(delayNotice);
        Objects.requireNonNull(commitMaxDelay);
        Objects.requireNonNull(postmaster);
        if (bounceRateLimit < 0 || bounceRateWindow.isNegative() || bounceRateWindow.isZero()) {
            throw new IllegalArgumentException("bounce rate limit out of range");
        }
    }

    /** Every setting but the bounce rate limit given; that one at its default. */
    public QueueConfig(Path directory, Duration maxLifetime, List<Duration> retrySchedule, int maxConcurrentDeliveries,
                       int destinationConcurrency, int destinationFailureThreshold, Duration destinationBackoff,
                       Duration delayNotice, int commitBatchSize, Duration commitMaxDelay, int commitSyncThreads,
                       long bounceSizeLimit, Optional<String> postmaster) {
        this(directory, maxLifetime, retrySchedule, maxConcurrentDeliveries, destinationConcurrency,
                destinationFailureThreshold, destinationBackoff, delayNotice, commitBatchSize, commitMaxDelay,
                commitSyncThreads, bounceSizeLimit, postmaster, DEFAULT_BOUNCE_RATE_LIMIT, DEFAULT_BOUNCE_RATE_WINDOW);
    }

    /** The queue at {@code directory} with every other setting at its default. */
    public QueueConfig(Path directory, Duration maxLifetime) {
        this(directory, maxLifetime, DEFAULT_RETRY_SCHEDULE, 64, 20, 5, Duration.ofMinutes(5), Duration.ZERO, 256,
                Duration.ZERO, 32, 50_000, Optional.empty());
    }

    /** The same configuration with another per-destination limit (the deprecated key's value). */
    QueueConfig withDestinationConcurrency(int limit) {
        return new QueueConfig(directory, maxLifetime, retrySchedule, maxConcurrentDeliveries, limit,
                destinationFailureThreshold, destinationBackoff, delayNotice, commitBatchSize, commitMaxDelay,
                commitSyncThreads, bounceSizeLimit, postmaster, bounceRateLimit, bounceRateWindow);
    }

    static QueueConfig from(ConfigNode node, Path base) {
        Duration maxLifetime = node.duration("maxLifetime", Duration.ofDays(5));
        if (maxLifetime.isZero()) {
            node.error("maxLifetime", "must be longer than 0");
            maxLifetime = Duration.ofDays(5);
        }
        List<Duration> schedule = node.parsedStrings("retrySchedule", DEFAULT_RETRY_SCHEDULE, QueueConfig::parseDelay);
        if (schedule.isEmpty()) {
            if (node.has("retrySchedule")) {
                node.error("retrySchedule", "needs at least one delay (like [1m, 5m, 30m])");
            }
            schedule = DEFAULT_RETRY_SCHEDULE;
        }
        Duration delayNotice = node.duration("delayNotice", Duration.ZERO);
        if (delayNotice.compareTo(maxLifetime) >= 0) {
            node.error("delayNotice", human(delayNotice) + " is not shorter than maxLifetime (" + human(maxLifetime) + ")");
            delayNotice = Duration.ZERO;
        }
        Duration commitMaxDelay = node.duration("commitMaxDelay", Duration.ZERO);
        if (commitMaxDelay.compareTo(Duration.ofMillis(100)) > 0) {
            node.error("commitMaxDelay", commitMaxDelay.toMillis() + "ms is too long (at most 100ms: every 250 waits for it)");
            commitMaxDelay = Duration.ZERO;
        }
        Optional<String> postmaster = node.optionalString("postmaster");
        if (postmaster.isPresent() && !postmaster.get().matches("[^@\\s<>]+@[A-Za-z0-9.-]+\\.[A-Za-z0-9-]+")) {
            node.error("postmaster", "'" + postmaster.get() + "' is not a mail address");
            postmaster = Optional.empty();
        }
        return new QueueConfig(
                base.resolve(node.string("directory", "var/queue")),
                maxLifetime,
                schedule,
                node.integer("maxConcurrentDeliveries", 64, 1, 10_000),
                node.integer("destinationConcurrency", 20, 1, 10_000),
                node.integer("destinationFailureThreshold", 5, 1, 1000),
                node.duration("destinationBackoff", Duration.ofMinutes(5)),
                delayNotice,
                node.integer("commitBatchSize", 256, 1, 100_000),
                commitMaxDelay,
                node.integer("commitSyncThreads", 32, 1, 1024),
                node.size("bounceSizeLimit", 50_000),
                postmaster,
                node.integer("bounceRateLimit", DEFAULT_BOUNCE_RATE_LIMIT, 0, 1_000_000),
                bounceRateWindow(node));
    }

    private static Duration bounceRateWindow(ConfigNode node) {
        Duration window = node.duration("bounceRateWindow", DEFAULT_BOUNCE_RATE_WINDOW);
        if (window.isZero()) {
            node.error("bounceRateWindow", "must be longer than 0");
            return DEFAULT_BOUNCE_RATE_WINDOW;
        }
        return window;
    }

    /** The delay before attempt {@code attempt + 1}, given that {@code attempt} attempts were made (>= 1). */
    public Duration retryDelay(int attempt) {
        return retrySchedule.get(Math.min(Math.max(attempt, 1), retrySchedule.size()) - 1);
    }

    /** A duration the way it is written in the file: {@code 90s}, {@code 4h}, {@code 5d}. */
    static String human(Duration d) {
        long ms = d.toMillis();
        if (ms % 86_400_000 == 0) {
            return ms / 86_400_000 + "d";
        }
        if (ms % 3_600_000 == 0) {
            return ms / 3_600_000 + "h";
        }
        if (ms % 60_000 == 0) {
            return ms / 60_000 + "m";
        }
        return ms % 1000 == 0 ? ms / 1000 + "s" : ms + "ms";
    }

    static ConfigNode.Parsed<Duration> parseDelay(String text) {
        Matcher m = DURATION.matcher(text.trim());
        if (!m.matches()) {
            return ConfigNode.Parsed.problem("'" + text + "' is not a duration (like 250ms, 30s, 5m, 24h, 5d)");
        }
        long amount = Long.parseLong(m.group(1));
        Duration d = switch (m.group(2)) {
            case "ms" -> Duration.ofMillis(amount);
            case "s" -> Duration.ofSeconds(amount);
            case "m" -> Duration.ofMinutes(amount);
            case "h" -> Duration.ofHours(amount);
            default -> Duration.ofDays(amount);
        };
        if (d.isZero()) {
            return ConfigNode.Parsed.problem("'" + text + "' must be longer than 0");
        }
        return ConfigNode.Parsed.ok(d);
    }
}
