package io.postern.config;

import java.time.Duration;

/**
 * POP3 session limits and the cluster-wide mailbox lock. Immutable; every limit has one default
 * here and a line in docs/configuration.md (section pop3).
 *
 * @param idleTimeout             a session silent this long is closed without UPDATE (nothing deleted)
 * @param maxConnections          open POP3 connections per listener
 * @param maxConnectionsPerClient open POP3 connections per client address per listener
 * @param lockLease               how long a mailbox lock stays valid when its holder stops refreshing it
 * @param maxLineLength           longest command or SASL line in octets, CRLF included
 * @param maxBadCommands          unknown, malformed or out-of-state commands before the session is closed
 * @param maxPipelinedCommands    commands buffered while the session waits on the directory or a transfer
 */
public record Pop3Config(Duration idleTimeout, int maxConnections, int maxConnectionsPerClient, Duration lockLease,
                         int maxLineLength, int maxBadCommands, int maxPipelinedCommands) {
    public static final Duration MIN_LOCK_LEASE = Duration.ofSeconds(3);

    public Pop3Config {
        if (lockLease.compareTo(MIN_LOCK_LEASE) < 0) {
            throw new IllegalArgumentException("lockLease below " + MIN_LOCK_LEASE);
        }
        if (maxLineLength < 64) {
            throw new IllegalArgumentException("maxLineLength below 64");
        }
    }

    /** The defaults, as documented. */
    public static Pop3Config defaults() {
        return new Pop3Config(Duration.ofMinutes(10), 1000, 10, Duration.ofMinutes(2), 8192, 20, 100);
    }

    static Pop3Config from(ConfigNode node) {
        Pop3Config d = defaults();
        Duration idle = node.duration("idleTimeout", d.idleTimeout());
        if (idle.compareTo(Duration.ofSeconds(1)) < 0) {
            node.error("idleTimeout", "must be at least 1s (RFC 1939 asks for 10m)");
            idle = d.idleTimeout();
        }
        Duration lease = node.duration("lockLease", d.lockLease());
        if (lease.compareTo(MIN_LOCK_LEASE) < 0 || lease.compareTo(Duration.ofHours(1)) > 0) {
            node.error("lockLease", "must be between 3s and 1h (the holder refreshes it every third of the lease)");
            lease = d.lockLease();
        }
        return new Pop3Config(
                idle,
                node.integer("maxConnections", d.maxConnections(), 1, 1_000_000),
                node.integer("maxConnectionsPerClient", d.maxConnectionsPerClient(), 1, 1_000_000),
                lease,
                node.integer("maxLineLength", d.maxLineLength(), 256, 65_536),
                node.integer("maxBadCommands", d.maxBadCommands(), 1, 10_000),
                node.integer("maxPipelinedCommands", d.maxPipelinedCommands(), 1, 10_000));
    }
}
