package io.postern.config;

import java.time.Duration;

/**
 * Limits of the login throttle shared by SMTP AUTH, submission and POP3 (docs/security.md,
 * "Login throttling"). Failures are counted per (client network, login) and per client network;
 * every count decays with the time constant {@code window}. Immutable; one default per limit here
 * and a line in docs/configuration.md (section auth.throttle).
 *
 * @param maxFailuresPerLogin   failures of one login from one network before that login is refused from that network
 * @param delayAfterFailures    failures from one network before its answers are slowed down
 * @param initialDelay          the first delay; each further failure doubles it
 * @param maxDelay              the longest delay
 * @param maxFailuresPerNetwork failures from one network before every login from it is refused (421 / -ERR [SYS/TEMP])
 * @param window                time constant of the decay: a failure weighs e^(-age/window)
 * @param ipv4Prefix            IPv4 addresses sharing this many leading bits are one network
 * @param ipv6Prefix            IPv6 addresses sharing this many leading bits are one network
 * @param maxTracked            networks, and (network, login) pairs, remembered at most (least used forgotten first)
 */
public record LoginThrottleConfig(int maxFailuresPerLogin, int delayAfterFailures, Duration initialDelay,
                                  Duration maxDelay, int maxFailuresPerNetwork, Duration window, int ipv4Prefix,
                                  int ipv6Prefix, int maxTracked) {

    public LoginThrottleConfig {
        if (maxFailuresPerLogin < 1 || delayAfterFailures < 1 || maxFailuresPerNetwork < 1 || maxTracked < 1) {
            throw new IllegalArgumentException("login throttle limits must be at least 1");
        }
        if (initialDelay.isNegative() || maxDelay.compareTo(initialDelay) < 0 || window.compareTo(Duration.ofSeconds(1)) < 0) {
            throw new IllegalArgumentException("login throttle: 0 <= initialDelay <= maxDelay, window >= 1s");
        }
        if (ipv4Prefix < 8 || ipv4Prefix > 32 || ipv6Prefix < 16 || ipv6Prefix > 128) {
            throw new IllegalArgumentException("login throttle: ipv4Prefix 8-32, ipv6Prefix 16-128");
        }
    }

    /** The defaults, as documented. */
    public static LoginThrottleConfig defaults() {
        return new LoginThrottleConfig(5, 10, Duration.ofMillis(250), Duration.ofSeconds(5), 200,
                Duration.ofMinutes(15), 32, 64);
    }

    private LoginThrottleConfig(int perLogin, int delayAfter, Duration initialDelay, Duration maxDelay, int perNetwork,
                                Duration window, int ipv4Prefix, int ipv6Prefix) {
        this(perLogin, delayAfter, initialDelay, maxDelay, perNetwork, window, ipv4Prefix, ipv6Prefix, 100_000);
    }

    /** The defaults with another per-login limit and window (tests and embedders). */
    public LoginThrottleConfig withPerLogin(int failures, Duration decay) {
        return new LoginThrottleConfig(failures, delayAfterFailures, initialDelay, maxDelay, maxFailuresPerNetwork,
                decay, ipv4Prefix, ipv6Prefix, maxTracked);
    }

    static LoginThrottleConfig from(ConfigNode node) {
        LoginThrottleConfig d = defaults();
        int perLogin = node.integer("maxFailuresPerLogin", d.maxFailuresPerLogin(), 1, 1_000_000);
        int delayAfter = node.integer("delayAfterFailures", d.delayAfterFailures(), 1, 1_000_000);
        int perNetwork = node.integer("maxFailuresPerNetwork", d.maxFailuresPerNetwork(), 1, 1_000_000);
        Duration initial = node.duration("initialDelay", d.initialDelay());
        Duration max = node.duration("maxDelay", d.maxDelay());
        if (max.compareTo(Duration.ofMinutes(1)) > 0) {
            node.error("maxDelay", "must be at most 1m (clients give up on a silent server)");
            max = d.maxDelay();
        }
        if (initial.compareTo(max) > 0) {
            node.error("initialDelay", "must not exceed maxDelay (" + max.toMillis() + "ms)");
            initial = max;
        }
        Duration window = node.duration("window", d.window());
        if (window.compareTo(Duration.ofSeconds(1)) < 0) {
            node.error("window", "must be at least 1s");
            window = d.window();
        }
        if (perNetwork < perLogin) {
            node.error("maxFailuresPerNetwork", "must be at least maxFailuresPerLogin (" + perLogin + ")");
            perNetwork = Math.max(perLogin, d.maxFailuresPerNetwork());
        }
        return new LoginThrottleConfig(perLogin, delayAfter, initial, max, perNetwork, window,
                node.integer("ipv4Prefix", d.ipv4Prefix(), 8, 32),
                node.integer("ipv6Prefix", d.ipv6Prefix(), 16, 128),
                node.integer("maxTracked", d.maxTracked(), 1_000, 10_000_000));
    }
}
