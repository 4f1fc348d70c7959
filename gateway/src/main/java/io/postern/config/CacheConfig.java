package io.postern.config;

import java.time.Duration;

/**
 * The directory cache (io.postern.directory.cache) and its change tracking. Immutable; every
 * key, its default and its meaning are in docs/configuration.md, section {@code cache}.
 *
 * @param positiveTtl how long a found answer (a mailbox, an alias, "domain is ours") is fresh
 * @param negativeTtl how long a negative answer (unknown address, "not ours", "may not send as") is fresh
 * @param loginTtl how long a successful login is remembered (as a salted slow hash); zero: never
 * @param maxSize the most entries each question's cache holds
 * @param refreshAhead an entry read when older than this is reloaded in the background; zero: off
 * @param maxStale how long a positive answer may still be served while the directory is unreachable
 * @param changeTracking how changes reach the cache
 * @param pollInterval how often {@code poll} mode asks for changes (and {@code off} probes the directory)
 * @param reconnectMaxBackoff the longest wait between two reconnection attempts of the change tracker
 * @param outageProbeInterval while the directory is unreachable, at most one question per interval is sent to it
 * @param reconcileInterval how often change tracking lists the mail-enabled entries and compares them with
 *        what it knows, the bound on noticing a deletion, rename or move out of the base that no push
 *        mechanism reported (AD sends deletions only to accounts that may read Deleted Objects); zero: never
 */
public record CacheConfig(
        Duration positiveTtl,
        Duration negativeTtl,
        Duration loginTtl,
        int maxSize,
        Duration refreshAhead,
        Duration maxStale,
        ChangeTracking changeTracking,
        Duration pollInterval,
        Duration reconnectMaxBackoff,
        Duration outageProbeInterval,
        Duration reconcileInterval) {

    public static final int MAX_SIZE_LIMIT = 10_000_000;
    /** The default of {@code cache.reconcileInterval}. */
    public static final Duration DEFAULT_RECONCILE_INTERVAL = Duration.ofMinutes(1);
    /** The shortest {@code cache.reconcileInterval} other than zero. */
    public static final Duration MIN_RECONCILE_INTERVAL = Duration.ofSeconds(1);

    /** Without a reconciliation interval: the default one. */
    public CacheConfig(Duration positiveTtl, Duration negativeTtl, Duration loginTtl, int maxSize, Duration refreshAhead,
                       Duration maxStale, ChangeTracking changeTracking, Duration pollInterval,
                       Duration reconnectMaxBackoff, Duration outageProbeInterval) {
        this(positiveTtl, negativeTtl, loginTtl, maxSize, refreshAhead, maxStale, changeTracking, pollInterval,
                reconnectMaxBackoff, outageProbeInterval, DEFAULT_RECONCILE_INTERVAL);
    }

    public CacheConfig {
        requirePositive("ttl.positive", positiveTtl);
        requirePositive("ttl.negative", negativeTtl);
        requireNotNegative("ttl.login", loginTtl);
        requireNotNegative("refreshAhead", refreshAhead);
        requireNotNegative("maxStale", maxStale);
        requirePositive("pollInterval", pollInterval);
        requirePositive("reconnectMaxBackoff", reconnectMaxBackoff);
        requireNotNegative("outageProbeInterval", outageProbeInterval);
        requireNotNegative("reconcileInterval", reconcileInterval);
        if (!reconcileInterval.isZero() && reconcileInterval.compareTo(MIN_RECONCILE_INTERVAL) < 0) {
            throw new IllegalArgumentException("reconcileInterval must be 0 or at least " + MIN_RECONCILE_INTERVAL);
        }
        if (maxSize < 1 || maxSize > MAX_SIZE_LIMIT) {
            throw new IllegalArgumentException("maxSize " + maxSize + " is out of range (1-" + MAX_SIZE_LIMIT + ")");
        }
        if (changeTracking == null) {
            throw new IllegalArgumentException("changeTracking is required");
        }
    }

    /** The defaults of docs/configuration.md. */
    public static CacheConfig defaults() {
        return new CacheConfig(Duration.ofMinutes(10), Duration.ofMinutes(1), Duration.ofMinutes(2), 100_000,
                Duration.ofMinutes(5), Duration.ofHours(24), ChangeTracking.AUTO, Duration.ofSeconds(30),
                Duration.ofSeconds(30), Duration.ofSeconds(1), DEFAULT_RECONCILE_INTERVAL);
    }

    static CacheConfig from(ConfigNode node) {
        CacheConfig d = defaults();
        ConfigNode ttl = node.section("ttl");
        Duration positive = ttl.duration("positive", d.positiveTtl());
        Duration negative = ttl.duration("negative", d.negativeTtl());
        Duration login = ttl.duration("login", d.loginTtl());
        int maxSize = node.integer("maxSize", d.maxSize(), 1, MAX_SIZE_LIMIT);
        Duration refreshAhead = node.duration("refreshAhead", d.refreshAhead());
        Duration maxStale = node.duration("maxStale", d.maxStale());
        ChangeTracking tracking = node.enumValue("changeTracking", ChangeTracking.class, d.changeTracking());
        Duration poll = node.duration("pollInterval", d.pollInterval());
        Duration backoff = node.duration("reconnectMaxBackoff", d.reconnectMaxBackoff());
        Duration probe = node.duration("outageProbeInterval", d.outageProbeInterval());
        Duration reconcile = node.duration("reconcileInterval", d.reconcileInterval());
        if (!reconcile.isZero() && reconcile.compareTo(MIN_RECONCILE_INTERVAL) < 0) {
            node.error("reconcileInterval", "must be 0s (off) or at least 1s");
            reconcile = d.reconcileInterval();
        }
        if (positive.isZero()) {
            ttl.error("positive", "must be more than 0");
            positive = d.positiveTtl();
        }
        if (negative.isZero()) {
            ttl.error("negative", "must be more than 0");
            negative = d.negativeTtl();
        }
        if (!refreshAhead.isZero() && refreshAhead.compareTo(positive) >= 0) {
            node.error("refreshAhead", refreshAhead + " must be shorter than ttl.positive (" + positive
                    + "), or 0 to turn refresh-ahead off");
            refreshAhead = Duration.ZERO;
        }
        if (poll.compareTo(Duration.ofMillis(100)) < 0) {
            node.error("pollInterval", "must be at least 100ms");
            poll = d.pollInterval();
        }
        if (backoff.compareTo(Duration.ofMillis(100)) < 0) {
            node.error("reconnectMaxBackoff", "must be at least 100ms");
            backoff = d.reconnectMaxBackoff();
        }
        return new CacheConfig(positive, negative, login, maxSize, refreshAhead, maxStale, tracking, poll, backoff, probe,
                reconcile);
    }

    private static void requirePositive(String key, Duration value) {
        if (value == null || value.isNegative() || value.isZero()) {
            throw new IllegalArgumentException(key + " must be more than 0");
        }
    }

    private static void requireNotNegative(String key, Duration value) {
        if (value == null || value.isNegative()) {
            throw new IllegalArgumentException(key + " must not be negative");
        }
    }
}
