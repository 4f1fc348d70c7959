package io.postern.config;

/** The admin HTTP endpoint: /metrics, /healthz, /readyz and the queue CLI's API. Loopback by default. */
public record AdminConfig(boolean enabled, String address, int port) {
    public static final int DEFAULT_PORT = 9925;

    static AdminConfig from(ConfigNode node) {
        boolean enabled = node.bool("enabled", true);
        String address = node.string("address", "127.0.0.1");
        if (!ListenerConfig.isLiteralAddress(address)) {
            node.error("address", "'" + address + "' is not an IP address");
        }
        int port = node.port("port", DEFAULT_PORT);
        return new AdminConfig(enabled, address, port);
    }
}
