package io.postern.config;

import java.net.InetAddress;
import java.util.List;
import java.util.Objects;
import java.util.OptionalInt;

/**
 * One listening socket. Immutable. Connection caps are counted per listener, so a flood on one
 * port never refuses another; {@code maxConnections} and {@code maxConnectionsPerClient} override
 * the protocol section's defaults ({@code smtp.*} for the SMTP family, {@code pop3.*} for POP3).
 * {@code milters} names the milters (section {@code milters}) asked, in order, before DATA/BDAT is
 * answered on an SMTP listener.
 */
public record ListenerConfig(String name, ListenerKind kind, String address, int port, TlsMode tls,
                             OptionalInt maxConnections, OptionalInt maxConnectionsPerClient,
                             ProxyProtocolConfig proxyProtocol, List<String> milters) {
    public ListenerConfig {
        Objects.requireNonNull(name);
        Objects.requireNonNull(kind);
        Objects.requireNonNull(address);
        Objects.requireNonNull(tls);
        Objects.requireNonNull(maxConnections);
        Objects.requireNonNull(maxConnectionsPerClient);
        Objects.requireNonNull(proxyProtocol);
        milters = List.copyOf(milters);
    }

    /** A listener without the PROXY protocol and without milters. */
    public ListenerConfig(String name, ListenerKind kind, String address, int port, TlsMode tls,
                          OptionalInt maxConnections, OptionalInt maxConnectionsPerClient) {
        this(name, kind, address, port, tls, maxConnections, maxConnectionsPerClient, ProxyProtocolConfig.off(),
                List.of());
    }

    /** A listener with the protocol's default connection caps. */
    public ListenerConfig(String name, ListenerKind kind, String address, int port, TlsMode tls) {
        this(name, kind, address, port, tls, OptionalInt.empty(), OptionalInt.empty());
    }

    public boolean authRequired() {
        return kind == ListenerKind.SUBMISSION;
    }

    static ListenerConfig from(ConfigNode node) {
        ListenerKind kind = node.enumValue("kind", ListenerKind.class, ListenerKind.MX);
        if (!node.has("kind")) {
            node.error("kind", "is required (mx, submission, lmtp, pop3)");
        }
        String name = node.string("name", ConfigNode.wireName(kind));
        String address = node.string("address", "127.0.0.1");
        if (!isLiteralAddress(address)) {
            node.error("address", "'" + address + "' is not an IP address");
        }
        int port = node.port("port", 0);
        if (!node.has("port")) {
            node.error("port", "is required");
        }
        TlsMode tls = node.enumValue("tls", TlsMode.class, TlsMode.NONE);
        // Names are checked against the milters section in PosternConfig, which sees both.
        List<String> milters = node.strings("milters", List.of());
        return new ListenerConfig(name, kind, address, port, tls, cap(node, "maxConnections"),
                cap(node, "maxConnectionsPerClient"), ProxyProtocolConfig.from(node), milters);
    }

    private static OptionalInt cap(ConfigNode node, String key) {
        return node.has(key) ? OptionalInt.of(node.integer(key, 1, 1, 1_000_000)) : OptionalInt.empty();
    }

    static boolean isLiteralAddress(String address) {
        if (address.isEmpty() || !address.matches("[0-9a-fA-F:.]+")) {
            return false;
        }
        try {
            InetAddress.getByName(address);
            return true;
        } catch (java.net.UnknownHostException e) {
            return false;
        }
    }
}
