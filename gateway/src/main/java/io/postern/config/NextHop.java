package io.postern.config;

import java.util.Locale;
import java.util.Objects;
import java.util.Optional;

/**
 * Where a relay domain's or a home server's mail goes instead of a local spool, in Postfix's
 * transport notation: {@code smtp:[host]:port} (brackets: that host, no MX lookup),
 * {@code smtp:host:port} (the MX of {@code host}), {@code lmtp:host:port} (LMTP, default port 24).
 * A home-server attribute may also hold a bare host name (SMTP, port 25, no MX lookup) or an
 * Exchange legacy DN ({@code /o=Org/.../cn=Servers/cn=EXCH01}: the last {@code cn} is the host).
 * Immutable.
 */
public record NextHop(Protocol protocol, String host, int port, boolean mxLookup) {

    /** How the next hop is spoken to. */
    public enum Protocol { SMTP, LMTP }

    public NextHop {
        Objects.requireNonNull(protocol);
        Objects.requireNonNull(host);
        if (host.isEmpty() || port < 1 || port > 65535) {
            throw new IllegalArgumentException("bad next hop: " + host + ":" + port);
        }
        if (protocol == Protocol.LMTP && mxLookup) {
            throw new IllegalArgumentException("LMTP next hops are never looked up in MX records");
        }
        host = host.toLowerCase(Locale.ROOT);
    }

    /** The form written in the configuration ({@code smtp:[mx.internal]:25}). */
    @Override
    public String toString() {
        String name = host.indexOf(':') >= 0 || protocol == Protocol.SMTP && !mxLookup ? "[" + host + "]" : host;
        return protocol.name().toLowerCase(Locale.ROOT) + ":" + name + ":" + port;
    }

    /** Does this next hop name {@code hostname} (this node: mail for it is local)? */
    public boolean names(String hostname) {
        return host.equalsIgnoreCase(hostname);
    }

    /** A configured next hop: {@code smtp:...} or {@code lmtp:...}. */
    public static ConfigNode.Parsed<NextHop> parse(String text) {
        return parse(text, false);
    }

    /** A directory's home-server value: also a bare host name or an Exchange legacy DN. */
    public static Optional<NextHop> parseHomeServer(String text) {
        ConfigNode.Parsed<NextHop> parsed = parse(text, true);
        return Optional.ofNullable(parsed.value());
    }

    private static ConfigNode.Parsed<NextHop> parse(String text, boolean bareHost) {
        String value = text.trim();
        String lower = value.toLowerCase(Locale.ROOT);
        if (lower.startsWith("smtp:")) {
            String rest = value.substring(5);
            boolean bracketed = rest.startsWith("[");
            return hostPort(text, rest, OutboundConfig.SMTP_PORT)
                    .map(hp -> new NextHop(Protocol.SMTP, hp.host(), hp.port(), !bracketed));
        }
        if (lower.startsWith("lmtp:")) {
            return hostPort(text, value.substring(5), OutboundConfig.LMTP_PORT)
                    .map(hp -> new NextHop(Protocol.LMTP, hp.host(), hp.port(), false));
        }
        if (bareHost && value.startsWith("/")) {
            int cn = lower.lastIndexOf("/cn=");
            value = cn < 0 ? "" : value.substring(cn + 4);
        }
        if (bareHost && value.matches("[A-Za-z0-9]([A-Za-z0-9.-]{0,252})")) {
            return ConfigNode.Parsed.ok(new NextHop(Protocol.SMTP, value, OutboundConfig.SMTP_PORT, false));
        }
        return ConfigNode.Parsed.problem("'" + text + "' is not a next hop (write smtp:[host]:port, smtp:host:port"
                + " or lmtp:host:port" + (bareHost ? ", or a host name" : "") + ")");
    }

    private static Result hostPort(String text, String rest, int defaultPort) {
        ConfigNode.Parsed<OutboundConfig.HostPort> parsed = OutboundConfig.HostPort.parse(rest, defaultPort);
        if (parsed.problem() != null) {
            return new Result(null, "'" + text + "': " + parsed.problem());
        }
        return new Result(parsed.value(), null);
    }

    private record Result(OutboundConfig.HostPort value, String problem) {
        ConfigNode.Parsed<NextHop> map(java.util.function.Function<OutboundConfig.HostPort, NextHop> f) {
            return value == null ? ConfigNode.Parsed.problem(problem) : ConfigNode.Parsed.ok(f.apply(value));
        }
    }
}
