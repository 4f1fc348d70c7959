package io.postern.config;

import java.net.InetAddress;
import java.time.Duration;
import java.util.List;
import java.util.Objects;

/**
 * The PROXY protocol (v1 and v2) on one listener. When on, a connection from a
 * {@code trustedProxies} network must begin with a PROXY header within {@code headerTimeout},
 * and the address it carries is the client's; a connection from anywhere else is a direct client
 * and is refused if it sends a PROXY header (it could otherwise claim any address). Off by
 * default. Immutable.
 */
public record ProxyProtocolConfig(boolean enabled, List<Cidr> trustedProxies, Duration headerTimeout) {
    public static final Duration DEFAULT_HEADER_TIMEOUT = Duration.ofSeconds(10);

    public ProxyProtocolConfig {
        trustedProxies = List.copyOf(trustedProxies);
        Objects.requireNonNull(headerTimeout);
    }

    public static ProxyProtocolConfig off() {
        return new ProxyProtocolConfig(false, List.of(), DEFAULT_HEADER_TIMEOUT);
    }

    /** True when {@code peer} (the address of the TCP connection) may speak for a client. */
    public boolean trusts(InetAddress peer) {
        return enabled && trustedProxies.stream().anyMatch(n -> n.contains(peer));
    }

    static ProxyProtocolConfig from(ConfigNode listener) {
        if (!listener.has("proxyProtocol")) {
            return off();
        }
        ConfigNode node = listener.section("proxyProtocol");
        boolean enabled = node.bool("enabled", false);
        List<Cidr> proxies = node.parsedStrings("trustedProxies", List.of(), Cidr::parse);
        Duration timeout = node.duration("headerTimeout", DEFAULT_HEADER_TIMEOUT);
        if (enabled && proxies.isEmpty()) {
            node.error("trustedProxies", "is required when the PROXY protocol is enabled (the balancers' networks)");
        }
        if (timeout.isZero() || timeout.isNegative()) {
            node.error("headerTimeout", "must be positive");
        }
        return new ProxyProtocolConfig(enabled, proxies, timeout);
    }
}
