package io.postern.config;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * Outbound delivery: the SMTP client that sends remote mail to the recipient domain's MX (or to a
 * relay host), and the LMTP client that hands local mail from the {@code front} role to delivery
 * workers. Immutable. Every limit and timeout is named here with one default (docs/configuration.md,
 * section outbound); the timeouts default to RFC 5321 4.5.3.2.
 */
public record OutboundConfig(
        int port,
        List<HostPort> dnsServers,
        Duration dnsTimeout,
        Timeouts timeouts,
        Tls tls,
        Optional<RelayHost> relayHost,
        Connections connections,
        int maxRecipientsPerTransaction,
        int maxReplyLineLength,
        int maxReplyLines,
        List<HostPort> lmtpTargets,
        Handoff handoff) {

    public static final int SMTP_PORT = 25;
    public static final int LMTP_PORT = 24;
    public static final int DNS_PORT = 53;

    public OutboundConfig {
        dnsServers = List.copyOf(dnsServers);
        Objects.requireNonNull(dnsTimeout);
        Objects.requireNonNull(timeouts);
        Objects.requireNonNull(tls);
        Objects.requireNonNull(relayHost);
        Objects.requireNonNull(connections);
        lmtpTargets = List.copyOf(lmtpTargets);
        Objects.requireNonNull(handoff);
    }

    /** Without hand-off settings: {@link Handoff#defaults()}. */
    public OutboundConfig(int port, List<HostPort> dnsServers, Duration dnsTimeout, Timeouts timeouts, Tls tls,
                          Optional<RelayHost> relayHost, Connections connections, int maxRecipientsPerTransaction,
                          int maxReplyLineLength, int maxReplyLines, List<HostPort> lmtpTargets) {
        this(port, dnsServers, dnsTimeout, timeouts, tls, relayHost, connections, maxRecipientsPerTransaction,
                maxReplyLineLength, maxReplyLines, lmtpTargets, Handoff.defaults());
    }

    /** Every default: what an empty {@code outbound:} section reads as. */
    public static OutboundConfig defaults() {
        return new OutboundConfig(SMTP_PORT, List.of(), Duration.ofSeconds(5), Timeouts.rfc5321(),
                new Tls(TlsPolicy.OPPORTUNISTIC, Map.of(), Optional.empty()), Optional.empty(),
                Connections.defaults(), 50, 2048, 100, List.of(), Handoff.defaults());
    }

    /** The TLS policy for one destination domain (or the relay host's name). */
    public TlsPolicy tlsPolicyFor(String destination) {
        return tls.destinations().getOrDefault(destination.toLowerCase(Locale.ROOT), tls.policy());
    }

    /**
     * How the client uses STARTTLS. {@code opportunistic}: when offered, without checking the
     * certificate (RFC 7435), falling back to plaintext when the handshake fails; {@code required}:
     * TLS or no delivery (deferred), certificate not checked; {@code verify}: TLS with a certificate
     * that chains to a trusted CA and names the host; {@code none}: never.
     */
    public enum TlsPolicy { NONE, OPPORTUNISTIC, REQUIRED, VERIFY }

    /** A host name or IP address and a port, as written in {@code host:port} (IPv6 as {@code [::1]:53}). */
    public record HostPort(String host, int port) {
        public HostPort {
            Objects.requireNonNull(host);
            if (host.isEmpty() || port < 1 || port > 65535) {
                throw new IllegalArgumentException("bad host or port: " + host + ":" + port);
            }
        }

        static ConfigNode.Parsed<HostPort> parse(String text, int defaultPort) {
            String host = text.trim();
            int port = defaultPort;
            if (host.startsWith("[")) {
                int close = host.indexOf(']');
                if (close < 0) {
                    return ConfigNode.Parsed.problem("'" + text + "' has '[' without ']'");
                }
                String rest = host.substring(close + 1);
                host = host.substring(1, close);
                if (!rest.isEmpty()) {
                    if (!rest.startsWith(":")) {
                        return ConfigNode.Parsed.problem("'" + text + "' is not host:port");
                    }
                    port = parsePort(rest.substring(1));
                }
            } else if (host.indexOf(':') >= 0 && host.indexOf(':') == host.lastIndexOf(':')) {
                port = parsePort(host.substring(host.indexOf(':') + 1));
                host = host.substring(0, host.indexOf(':'));
            } else if (host.indexOf(':') >= 0) {
                return ConfigNode.Parsed.problem("'" + text + "': write an IPv6 address as [address]:port");
            }
            if (port < 1) {
                return ConfigNode.Parsed.problem("'" + text + "' has no valid port (1-65535)");
            }
            if (host.isEmpty() || !host.matches("[A-Za-z0-9.:_-]+")) {
                return ConfigNode.Parsed.problem("'" + text + "' is not a host name or address");
            }
            return ConfigNode.Parsed.ok(new HostPort(host, port));
        }

        private static int parsePort(String text) {
            try {
                int port = Integer.parseInt(text);
                return port >= 1 && port <= 65535 ? port : -1;
            } catch (NumberFormatException e) {
                return -1;
            }
        }

        @Override
        public String toString() {
            return (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + port;
        }
    }

    /** One timeout per stage of the client's dialogue (RFC 5321 4.5.3.2 minimums as defaults). */
    public record Timeouts(Duration connect, Duration greeting, Duration helo, Duration mail, Duration rcpt,
                           Duration dataInit, Duration dataBlock, Duration dataDone) {
        public Timeouts {
            for (Duration d : List.of(connect, greeting, helo, mail, rcpt, dataInit, dataBlock, dataDone)) {
                Objects.requireNonNull(d);
            }
        }

        public static Timeouts rfc5321() {
            return new Timeouts(Duration.ofSeconds(30), Duration.ofMinutes(5), Duration.ofMinutes(5),
                    Duration.ofMinutes(5), Duration.ofMinutes(5), Duration.ofMinutes(2), Duration.ofMinutes(3),
                    Duration.ofMinutes(10));
        }

        static Timeouts from(ConfigNode node) {
            Timeouts d = rfc5321();
            return new Timeouts(
                    positive(node, "connect", d.connect()),
                    positive(node, "greeting", d.greeting()),
                    positive(node, "helo", d.helo()),
                    positive(node, "mail", d.mail()),
                    positive(node, "rcpt", d.rcpt()),
                    positive(node, "dataInit", d.dataInit()),
                    positive(node, "dataBlock", d.dataBlock()),
                    positive(node, "dataDone", d.dataDone()));
        }
    }

    /** The default STARTTLS policy, per-destination overrides, and extra trusted CAs for {@code verify}. */
    public record Tls(TlsPolicy policy, Map<String, TlsPolicy> destinations, Optional<Path> trustFile) {
        public Tls {
            Objects.requireNonNull(policy);
            destinations = Map.copyOf(destinations);
            Objects.requireNonNull(trustFile);
        }

        static Tls from(ConfigNode node, Path base) {
            TlsPolicy policy = node.enumValue("policy", TlsPolicy.class, TlsPolicy.OPPORTUNISTIC);
            Map<String, TlsPolicy> destinations = new LinkedHashMap<>();
            List<ConfigNode> overrides = node.sections("destinations");
            for (ConfigNode override : overrides) {
                ConfigNode.Parsed<String> domain = PosternConfig.parseDomain(override.required("domain"));
                TlsPolicy value = override.enumValue("policy", TlsPolicy.class, policy);
                if (!override.has("policy")) {
                    override.error("policy", "is required");
                }
                if (domain.problem() != null) {
                    override.error("domain", domain.problem());
                } else if (destinations.putIfAbsent(domain.value(), value) != null) {
                    override.error("domain", "'" + domain.value() + "' is listed twice");
                }
            }
            Optional<Path> trust = node.optionalString("trustFile").map(base::resolve);
            return new Tls(policy, destinations, trust);
        }
    }

    /**
     * A relay host (smarthost) that takes all remote mail instead of the MX. Credentials are used
     * with AUTH PLAIN, and only over TLS: with credentials the TLS policy must be {@code required}
     * or {@code verify}.
     */
    public record RelayHost(HostPort address, Optional<String> username, Optional<String> password,
                            TlsPolicy tls) {
        public RelayHost {
            Objects.requireNonNull(address);
            Objects.requireNonNull(username);
            Objects.requireNonNull(password);
            Objects.requireNonNull(tls);
        }

        @Override
        public String toString() {
            return "RelayHost[" + address + ", username=" + username.orElse("") + ", tls=" + tls + "]";
        }

        static Optional<RelayHost> from(ConfigNode node, ConfigNode parent) {
            if (!parent.has("relayHost")) {
                return Optional.empty();
            }
            String raw = node.required("host");
            int defaultPort = node.port("port", 25);
            ConfigNode.Parsed<HostPort> address = HostPort.parse(raw, defaultPort);
            Optional<String> username = node.optionalString("username");
            Optional<String> password = node.optionalString("password");
            boolean credentials = username.isPresent() || password.isPresent();
            TlsPolicy tls = node.enumValue("tls", TlsPolicy.class,
                    credentials ? TlsPolicy.REQUIRED : TlsPolicy.OPPORTUNISTIC);
            if (raw.isEmpty()) {
                return Optional.empty();
            }
            if (address.problem() != null) {
                node.error("host", address.problem());
                return Optional.empty();
            }
            if (username.isPresent() != password.isPresent()) {
                node.error(username.isPresent() ? "password" : "username",
                        "is required when " + (username.isPresent() ? "username" : "password") + " is set");
            }
            if (credentials && (tls == TlsPolicy.NONE || tls == TlsPolicy.OPPORTUNISTIC)) {
                node.error("tls", "must be required or verify when username/password are set "
                        + "(AUTH is never sent in plaintext)");
            }
            return Optional.of(new RelayHost(address.value(), username, password, tls));
        }
    }

    /**
     * Sessions per destination: at most {@code maxPerDestination} deliveries at once (Postfix's
     * default_destination_concurrency_limit), idle sessions kept for reuse, for how long, and how
     * many messages each. {@code maxPerDestination} is not a key of its own any more: it is
     * {@code queue.destinationConcurrency}, the one per-destination limit (see
     * {@link PosternConfig#from}); {@code outbound.connections.maxPerDestination} is still read,
     * with a warning, when that key is not set.
     */
    public record Connections(int maxPerDestination, int maxIdlePerDestination, Duration idleTimeout,
                              int maxMessagesPerConnection) {
        /** The old name of {@code queue.destinationConcurrency}, under {@code outbound.connections}. */
        static final String DEPRECATED_MAX_PER_DESTINATION = "maxPerDestination";

        public static Connections defaults() {
            return new Connections(20, 4, Duration.ofSeconds(10), 100);
        }

        Connections withMaxPerDestination(int limit) {
            return new Connections(limit, maxIdlePerDestination, idleTimeout, maxMessagesPerConnection);
        }

        static Connections from(ConfigNode node) {
            Connections d = defaults();
            return new Connections(
                    node.integer(DEPRECATED_MAX_PER_DESTINATION, d.maxPerDestination(), 1, 10_000),
                    node.integer("maxIdlePerDestination", d.maxIdlePerDestination(), 0, 1000),
                    positive(node, "idleTimeout", d.idleTimeout()),
                    node.integer("maxMessagesPerConnection", d.maxMessagesPerConnection(), 1, 1_000_000));
        }
    }

    /**
     * The {@code front} role's sessions to each delivery worker ({@code lmtpTargets}).
     * {@code maxSessionsPerWorker}: open LMTP sessions to one worker address, in use and idle
     * together; keep it below what the worker accepts from one front
     * ({@code delivery.lmtpMaxConnectionsPerClient}). {@code busyWait}: how long a delivery waits
     * for a session when every live worker is at its limit or answers {@code 421} (busy, not dead)
     * before it is deferred. {@code workerRetry}: how long a worker that could not be reached (or
     * broke a session) is passed over before it is tried again; while every worker is passed over
     * each is still tried once, so the whole pool is reported down only when every worker is.
     * {@code directWait}: while a message is handed over before its {@code 250} (the client
     * waiting), the longest wait for a worker before anything of the message reached it: for a
     * free session when every live worker is busy, and for each reply up to DATA's {@code 354}.
     * Past it the message is queued at the front instead (the queue waits {@code busyWait} and
     * the full RFC 5321 timeouts).
     */
    public record Handoff(int maxSessionsPerWorker, Duration busyWait, Duration workerRetry, Duration directWait) {
        public Handoff {
            if (maxSessionsPerWorker < 1) {
                throw new IllegalArgumentException("maxSessionsPerWorker must be at least 1");
            }
            Objects.requireNonNull(busyWait);
            Objects.requireNonNull(workerRetry);
            Objects.requireNonNull(directWait);
            if (directWait.isNegative() || directWait.isZero()) {
                throw new IllegalArgumentException("directWait must be positive");
            }
        }

        /** With the default {@code directWait}. */
        public Handoff(int maxSessionsPerWorker, Duration busyWait, Duration workerRetry) {
            this(maxSessionsPerWorker, busyWait, workerRetry, DIRECT_WAIT);
        }

        private static final Duration DIRECT_WAIT = Duration.ofSeconds(2);

        public static Handoff defaults() {
            return new Handoff(16, Duration.ofSeconds(30), Duration.ofSeconds(10), DIRECT_WAIT);
        }

        static Handoff from(ConfigNode node) {
            Handoff d = defaults();
            return new Handoff(
                    node.integer("maxSessionsPerWorker", d.maxSessionsPerWorker(), 1, 10_000),
                    node.duration("busyWait", d.busyWait()),
                    positive(node, "workerRetry", d.workerRetry()),
                    positive(node, "directWait", d.directWait()));
        }
    }

    /** The same configuration with the one per-destination limit (queue.destinationConcurrency). */
    OutboundConfig withMaxPerDestination(int limit) {
        return new OutboundConfig(port, dnsServers, dnsTimeout, timeouts, tls, relayHost,
                connections.withMaxPerDestination(limit), maxRecipientsPerTransaction, maxReplyLineLength,
                maxReplyLines, lmtpTargets, handoff);
    }

    static OutboundConfig from(ConfigNode node, Path base) {
        OutboundConfig d = defaults();
        int port = node.port("port", SMTP_PORT);
        List<HostPort> dns = node.parsedStrings("dnsServers", List.of(), s -> HostPort.parse(s, DNS_PORT));
        Duration dnsTimeout = positive(node, "dnsTimeout", d.dnsTimeout());
        Timeouts timeouts = Timeouts.from(node.section("timeouts"));
        Tls tls = Tls.from(node.section("tls"), base);
        Optional<RelayHost> relay = RelayHost.from(node.section("relayHost"), node);
        Connections connections = Connections.from(node.section("connections"));
        int maxRcpt = node.integer("maxRecipientsPerTransaction", d.maxRecipientsPerTransaction(), 1, 100_000);
        int maxLine = node.integer("maxReplyLineLength", d.maxReplyLineLength(), 512, 1_000_000);
        int maxLines = node.integer("maxReplyLines", d.maxReplyLines(), 1, 100_000);
        List<HostPort> lmtp = node.parsedStrings("lmtpTargets", List.of(), s -> HostPort.parse(s, LMTP_PORT));
        List<String> seen = new ArrayList<>();
        for (int i = 0; i < lmtp.size(); i++) {
            if (seen.contains(lmtp.get(i).toString())) {
                node.problems().add(node.pathOf("lmtpTargets") + "[" + i + "]", "'" + lmtp.get(i) + "' is listed twice");
            }
            seen.add(lmtp.get(i).toString());
        }
        return new OutboundConfig(port, dns, dnsTimeout, timeouts, tls, relay, connections, maxRcpt, maxLine, maxLines,
                lmtp, Handoff.from(node.section("handoff")));
    }

    private static Duration positive(ConfigNode node, String key, Duration fallback) {
        Duration value = node.duration(key, fallback);
        if (value.isZero()) {
            node.error(key, "must be greater than zero");
            return fallback;
        }
        return value;
    }
}
