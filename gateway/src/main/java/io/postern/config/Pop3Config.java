package io.postern.config;

import java.time.Duration;

/** POP3 session limits and the cluster-wide mailbox lock. */
public record Pop3Config(Duration idleTimeout, int maxConnections, int maxConnectionsPerClient, Duration lockLease) {
    static Pop3Config from(ConfigNode node) {
        return new Pop3Config(
                node.duration("idleTimeout", Duration.ofMinutes(10)),
                node.integer("maxConnections", 1000, 1, 1_000_000),
                node.integer("maxConnectionsPerClient", 10, 1, 1_000_000),
                node.duration("lockLease", Duration.ofMinutes(2)));
    }
}
