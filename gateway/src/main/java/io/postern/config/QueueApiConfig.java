package io.postern.config;

import java.net.InetAddress;

/**
 * The queue API ({@code postern queue}): a socket of its own, apart from metrics and health, so
 * that a monitoring network can reach those without reaching this one. Loopback by default; any
 * other address needs a bearer token (read with {@code ${file:}}), because the API changes the
 * queue. The token never appears in {@link #toString()}.
 */
public record QueueApiConfig(boolean enabled, String address, int port, String token) {
    public static final int DEFAULT_PORT = 9926;

    public QueueApiConfig {
        java.util.Objects.requireNonNull(address);
        java.util.Objects.requireNonNull(token);
    }

    /** Every request must carry {@code Authorization: Bearer <token>}. */
    public boolean tokenRequired() {
        return !token.isEmpty();
    }

    /** The address clients connect to: a wildcard bind is reached on loopback. */
    public String connectAddress() {
        return InetAddress.ofLiteral(address).isAnyLocalAddress() ? "127.0.0.1" : address;
    }

    static QueueApiConfig from(ConfigNode node) {
        boolean enabled = node.bool("enabled", true);
        String address = node.string("address", "127.0.0.1");
        boolean literal = ListenerConfig.isLiteralAddress(address);
        if (!literal) {
            node.error("address", "'" + address + "' is not an IP address");
        }
        int port = node.port("port", DEFAULT_PORT);
        String token = node.string("token", "");
        if (!token.isEmpty() && (token.length() < 16 || !token.matches("[\\x21-\\x7e]+"))) {
            node.error("token", "must be at least 16 printable ASCII characters without spaces (the value is not shown)");
        }
        if (enabled && literal && token.isEmpty() && !InetAddress.ofLiteral(address).isLoopbackAddress()) {
            node.error("address", "'" + address + "' is not loopback: the queue API then needs a token"
                    + " (admin.queueApi.token: ${file:/path/to/token})");
        }
        return new QueueApiConfig(enabled, address, port, token);
    }

    @Override
    public String toString() {
        return "QueueApiConfig[enabled=" + enabled + ", address=" + address + ", port=" + port + ", token="
                + (token.isEmpty() ? "none" : "(set)") + "]";
    }
}
