package io.postern.config;

import java.time.Duration;

/** This node: its name in greetings and Received headers, its role, and how long it drains on SIGTERM. */
public record NodeConfig(String hostname, Role role, Duration drainTimeout) {
    static NodeConfig from(ConfigNode node) {
        String hostname = node.string("hostname", defaultHostname());
        if (!hostname.matches("[A-Za-z0-9]([A-Za-z0-9-]{0,62})(\\.[A-Za-z0-9]([A-Za-z0-9-]{0,62}))*")) {
            node.error("hostname", "'" + hostname + "' is not a host name");
        }
        return new NodeConfig(hostname,
                node.enumValue("role", Role.class, Role.ALL),
                node.duration("drainTimeout", Duration.ofSeconds(30)));
    }

    private static String defaultHostname() {
        try {
            return java.net.InetAddress.getLocalHost().getCanonicalHostName();
        } catch (java.net.UnknownHostException e) {
            return "localhost";
        }
    }
}
