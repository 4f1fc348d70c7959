package io.postern.config;

import java.time.Duration;
import java.util.List;
import java.util.Locale;

/**
 * The admin HTTP endpoint: {@code /metrics}, {@code /healthz}, {@code /readyz} on
 * {@code address:port} (loopback by default), and the queue API on a socket of its own
 * ({@link QueueApiConfig}). Both accept only a {@code Host} that is an IP literal or one of
 * {@code allowedHosts} (DNS rebinding), give a client {@code requestTimeout} to send its request,
 * and hold at most {@code maxConnections} connections each.
 */
public record AdminConfig(boolean enabled, String address, int port, List<String> allowedHosts,
        Duration requestTimeout, int maxConnections, QueueApiConfig queueApi) {
    public static final int DEFAULT_PORT = 9925;
    public static final List<String> DEFAULT_ALLOWED_HOSTS = List.of("localhost");
    public static final Duration DEFAULT_REQUEST_TIMEOUT = Duration.ofSeconds(10);
    public static final int DEFAULT_MAX_CONNECTIONS = 64;

    public AdminConfig {
        allowedHosts = List.copyOf(allowedHosts);
        java.util.Objects.requireNonNull(requestTimeout);
        java.util.Objects.requireNonNull(queueApi);
    }

    /** Every default: both sockets on loopback, no token. */
    public static AdminConfig defaults() {
        return new AdminConfig(true, "127.0.0.1", DEFAULT_PORT, DEFAULT_ALLOWED_HOSTS, DEFAULT_REQUEST_TIMEOUT,
                DEFAULT_MAX_CONNECTIONS, new QueueApiConfig(true, "127.0.0.1", QueueApiConfig.DEFAULT_PORT, ""));
    }

    public AdminConfig withLimits(Duration requestTimeout, int maxConnections) {
        return new AdminConfig(enabled, address, port, allowedHosts, requestTimeout, maxConnections, queueApi);
    }

    static AdminConfig from(ConfigNode node) {
        boolean enabled = node.bool("enabled", true);
        String address = node.string("address", "127.0.0.1");
        if (!ListenerConfig.isLiteralAddress(address)) {
            node.error("address", "'" + address + "' is not an IP address");
        }
        int port = node.port("port", DEFAULT_PORT);
        List<String> allowedHosts = node.parsedStrings("allowedHosts", DEFAULT_ALLOWED_HOSTS, AdminConfig::parseHostName);
        Duration requestTimeout = node.duration("requestTimeout", DEFAULT_REQUEST_TIMEOUT);
        if (requestTimeout.isZero() || requestTimeout.isNegative()) {
            node.error("requestTimeout", "must be positive");
            requestTimeout = DEFAULT_REQUEST_TIMEOUT;
        }
        int maxConnections = node.integer("maxConnections", DEFAULT_MAX_CONNECTIONS, 1, 10_000);
        QueueApiConfig queueApi = QueueApiConfig.from(node.section("queueApi"));
        return new AdminConfig(enabled, address, port, allowedHosts, requestTimeout, maxConnections, queueApi);
    }

    static ConfigNode.Parsed<String> parseHostName(String text) {
        String name = text.toLowerCase(Locale.ROOT);
        if (name.length() > 253 || !name.matches("[a-z0-9]([a-z0-9-]{0,62})(\\.[a-z0-9]([a-z0-9-]{0,62}))*")) {
            return ConfigNode.Parsed.problem("'" + text + "' is not a host name");
        }
        return ConfigNode.Parsed.ok(name);
    }
}
