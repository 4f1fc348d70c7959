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
 * @param maxCommandLine          longest command line in octets, CRLF included (RFC 2449: 255); SASL
 *                                responses may be longer, up to {@code maxLineLength} (RFC 5034)
 * @param authorizationTimeout    longest time from the greeting to a successful login, however active
 */
public record Pop3Config(Duration idleTimeout, int maxConnections, int maxConnectionsPerClient, Duration lockLease,
                         int maxLineLength, int maxBadCommands, int maxPipelinedCommands, int maxCommandLine,
                         Duration authorizationTimeout) {
    public static final Duration MIN_LOCK_LEASE = Duration.ofSeconds(3);
    /** RFC 2449 section 4: a command line is at most 255 octets, CRLF included. */
    public static final int RFC_COMMAND_LINE = 255;

    public Pop3Config {
        if (lockLease.compareTo(MIN_LOCK_LEASE) < 0) {
            throw new IllegalArgumentException("lockLease below " + MIN_LOCK_LEASE);
        }
        if (maxLineLength < 64) {
            throw new IllegalArgumentException("maxLineLength below 64");
        }
        if (maxCommandLine < 64 || maxCommandLine > maxLineLength) {
            throw new IllegalArgumentException("maxCommandLine outside 64..maxLineLength");
        }
        if (authorizationTimeout.isNegative() || authorizationTimeout.isZero()) {
            throw new IllegalArgumentException("authorizationTimeout must be positive");
        }
    }

    /** The limits that came before {@code maxCommandLine} and {@code authorizationTimeout}, with their defaults. */
    public Pop3Config(Duration idleTimeout, int maxConnections, int maxConnectionsPerClient, Duration lockLease,
                      int maxLineLength, int maxBadCommands, int maxPipelinedCommands) {
        this(idleTimeout, maxConnections, maxConnectionsPerClient, lockLease, maxLineLength, maxBadCommands,
                maxPipelinedCommands, Math.min(RFC_COMMAND_LINE, maxLineLength), Duration.ofSeconds(60));
    }

    /** The defaults, as documented. */
    public static Pop3Config defaults() {
        return new Pop3Config(Duration.ofMinutes(10), 1000, 10, Duration.ofMinutes(2), 8192, 20, 100,
                RFC_COMMAND_LINE, Duration.ofSeconds(60));
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
        int maxLine = node.integer("maxLineLength", d.maxLineLength(), 256, 65_536);
        int maxCommand = node.integer("maxCommandLine", d.maxCommandLine(), RFC_COMMAND_LINE, 65_536);
        if (maxCommand > maxLine) {
            node.error("maxCommandLine", "must not exceed maxLineLength (" + maxLine + ")");
            maxCommand = Math.min(RFC_COMMAND_LINE, maxLine);
        }
        Duration authorization = node.duration("authorizationTimeout", d.authorizationTimeout());
        if (authorization.compareTo(Duration.ofSeconds(1)) < 0) {
            node.error("authorizationTimeout", "must be at least 1s");
            authorization = d.authorizationTimeout();
        }
        return new Pop3Config(
                idle,
                node.integer("maxConnections", d.maxConnections(), 1, 1_000_000),
                node.integer("maxConnectionsPerClient", d.maxConnectionsPerClient(), 1, 1_000_000),
                lease,
                maxLine,
                node.integer("maxBadCommands", d.maxBadCommands(), 1, 10_000),
                node.integer("maxPipelinedCommands", d.maxPipelinedCommands(), 1, 10_000),
                maxCommand,
                authorization);
    }
}
