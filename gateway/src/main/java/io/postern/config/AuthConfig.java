package io.postern.config;

import java.time.Duration;

/**
 * SASL policy shared by SMTP and POP3. Plaintext mechanisms need TLS unless an operator opens
 * them on purpose; failures are rate-limited per client address.
 */
public record AuthConfig(boolean allowPlaintext, boolean allowPlaintextOnLoopback, int maxFailuresPerClient,
                         Duration failureWindow) {

    static AuthConfig from(ConfigNode node) {
        return new AuthConfig(
                node.bool("allowPlaintext", false),
                node.bool("allowPlaintextOnLoopback", false),
                node.integer("maxFailuresPerClient", 5, 1, 1_000_000),
                node.duration("failureWindow", Duration.ofMinutes(5)));
    }
}
