package io.postern.config;

import java.time.Duration;

/**
 * SASL policy shared by SMTP and POP3. Plaintext mechanisms need TLS unless an operator opens
 * them on purpose; failed logins are throttled per client network and per (network, login) by
 * one throttle shared by every listener ({@link LoginThrottleConfig}).
 */
public record AuthConfig(boolean allowPlaintext, boolean allowPlaintextOnLoopback, LoginThrottleConfig throttle) {

    /** The default throttle with another per-(network, login) limit and window (tests and embedders). */
    public AuthConfig(boolean allowPlaintext, boolean allowPlaintextOnLoopback, int maxFailuresPerLogin,
                      Duration window) {
        this(allowPlaintext, allowPlaintextOnLoopback,
                LoginThrottleConfig.defaults().withPerLogin(maxFailuresPerLogin, window));
    }

    static AuthConfig from(ConfigNode node) {
        // The per-address limit of earlier versions locked out a whole NAT; its keys moved and changed meaning.
        for (String old : new String[] {"maxFailuresPerClient", "failureWindow"}) {
            if (node.has(old)) {
                node.error(old, "was replaced by auth.throttle (maxFailuresPerLogin, maxFailuresPerNetwork, window: "
                        + "see docs/configuration.md)");
            }
        }
        return new AuthConfig(
                node.bool("allowPlaintext", false),
                node.bool("allowPlaintextOnLoopback", false),
                LoginThrottleConfig.from(node.section("throttle")));
    }
}
