package io.postern.config;

import java.time.Duration;

/**
 * Limits and behaviour of SMTP, submission and LMTP sessions. Every limit a client controls is here.
 * {@code idleTimeout}: no input while a command is awaited; {@code commandTimeout}: one command
 * line started but not finished (slow drip); {@code dataTimeout}: no input inside DATA or BDAT.
 * Only whole command lines count as activity for {@code idleTimeout}. A DATA phase (354 to the
 * final dot) or BDAT sequence (first chunk to LAST) must end within {@code dataTotalTimeout},
 * and within {@code dataTimeout} plus one second per {@code minDataRate} octets received (0: no
 * rate rule), so that a byte every few seconds cannot hold a session open.
 * {@code traceAuthenticatedUser} puts the login name into the Received header.
 * {@code rejectUnauthenticatedLocalSender} refuses MAIL FROM in a local domain from a client
 * that neither logged in nor is in a trusted network (MX listeners; off by default).
 */
public record SmtpConfig(
        long maxMessageSize,
        int maxRecipients,
        int maxCommandLine,
        int maxTextLine,
        int maxErrors,
        int maxReceivedHeaders,
        int maxConnections,
        int maxConnectionsPerClient,
        Duration idleTimeout,
        Duration dataTimeout,
        Duration greetingDelay,
        BareLineEndings bareLineEndings,
        Duration commandTimeout,
        boolean traceAuthenticatedUser,
        boolean rejectUnauthenticatedLocalSender,
        Duration dataTotalTimeout,
        long minDataRate) {

    /** What to do with a lone CR or LF inside DATA (SMTP smuggling defence). */
    public enum BareLineEndings { REJECT, NORMALIZE }

    static SmtpConfig from(ConfigNode node) {
        return new SmtpConfig(
                node.size("maxMessageSize", 50L * 1024 * 1024),
                node.integer("maxRecipients", 100, 1, 100_000),
                node.integer("maxCommandLine", 512, 512, 65_536),
                node.integer("maxTextLine", 1000, 1000, 1_000_000),
                node.integer("maxErrors", 10, 1, 1000),
                node.integer("maxReceivedHeaders", 50, 1, 1000),
                node.integer("maxConnections", 1000, 1, 1_000_000),
                node.integer("maxConnectionsPerClient", 20, 1, 1_000_000),
                node.duration("idleTimeout", Duration.ofMinutes(5)),
                node.duration("dataTimeout", Duration.ofMinutes(10)),
                node.duration("greetingDelay", Duration.ZERO),
                node.enumValue("bareLineEndings", BareLineEndings.class, BareLineEndings.REJECT),
                node.duration("commandTimeout", Duration.ofMinutes(5)),
                node.bool("traceAuthenticatedUser", false),
                node.bool("rejectUnauthenticatedLocalSender", false),
                positive(node, "dataTotalTimeout", Duration.ofHours(1)),
                rate(node, "minDataRate", 500));
    }

    private static Duration positive(ConfigNode node, String key, Duration fallback) {
        Duration value = node.duration(key, fallback);
        if (value.isZero()) {
            node.error(key, "must be longer than 0");
            return fallback;
        }
        return value;
    }

    private static long rate(ConfigNode node, String key, long fallback) {
        long value = node.size(key, fallback);
        if (value > 1_000_000_000L) {
            node.error(key, "must be at most 1000000000 octets per second (0 switches the rate rule off)");
            return fallback;
        }
        return value;
    }
}
