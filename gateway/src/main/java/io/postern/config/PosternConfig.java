package io.postern.config;

import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The whole configuration of one node, read from one YAML file. Immutable; every section has
 * safe defaults (closed relay, no plaintext AUTH) documented in docs/configuration.md.
 */
public record PosternConfig(
        NodeConfig node,
        List<ListenerConfig> listeners,
        AdminConfig admin,
        TlsConfig tls,
        DirectoryConfig directory,
        List<String> domains,
        RelayConfig relay,
        AuthConfig auth,
        SmtpConfig smtp,
        Pop3Config pop3,
        QueueConfig queue,
        SpoolConfig spool,
        LoggingConfig logging,
        CacheConfig cache,
        DeliveryConfig delivery,
        OutboundConfig outbound,
        List<MilterConfig> milters,
        RoutingConfig routing) {

    private static final Logger LOG = LoggerFactory.getLogger(PosternConfig.class);

    public PosternConfig {
        listeners = List.copyOf(listeners);
        milters = List.copyOf(milters);
        domains = List.copyOf(domains);
    }

    /** The same configuration with another role ({@code serve --role}). */
    public PosternConfig withRole(Role role) {
        return new PosternConfig(new NodeConfig(node.hostname(), role, node.drainTimeout()), listeners, admin, tls,
                directory, domains, relay, auth, smtp, pop3, queue, spool, logging, cache, delivery, outbound, milters,
                routing);
    }

    /**
     * This node's configuration delivering another queue directory and nothing else: no listeners,
     * no admin sockets ({@code postern queue drain --queue-dir}, the hand-over of a stopped node).
     */
    public PosternConfig servingOnly(Path queueDirectory) {
        AdminConfig noAdmin = new AdminConfig(false, admin.address(), admin.port(), admin.allowedHosts(),
                admin.requestTimeout(), admin.maxConnections(), admin.queueApi());
        return new PosternConfig(node, List.of(), noAdmin, tls, directory, domains, relay, auth, smtp, pop3,
                queue.withDirectory(queueDirectory), spool, logging, cache, delivery, outbound, milters, routing);
    }

    /** Reads every section, then the rules that span sections; all problems go to {@code root.problems()}. */
    static PosternConfig from(ConfigNode root, Path base) {
        NodeConfig node = NodeConfig.from(root.section("node"));
        List<ListenerConfig> listeners = root.sections("listeners").stream().map(ListenerConfig::from).toList();
        if (!root.has("listeners")) {
            root.error("listeners", "is required (at least one listener)");
        }
        AdminConfig admin = AdminConfig.from(root.section("admin"));
        TlsConfig tls = TlsConfig.from(root.section("tls"), base);
        DirectoryConfig directory = DirectoryConfig.from(root.section("directory"), base);
        List<String> domains = root.parsedStrings("domains", List.of(), PosternConfig::parseDomain);
        RelayConfig relay = RelayConfig.from(root.section("relay"));
        AuthConfig auth = AuthConfig.from(root.section("auth"));
        SmtpConfig smtp = SmtpConfig.from(root.section("smtp"));
        Pop3Config pop3 = Pop3Config.from(root.section("pop3"));
        QueueConfig queue = QueueConfig.from(root.section("queue"), base);
        SpoolConfig spool = SpoolConfig.from(root.section("spool"), base);
        LoggingConfig logging = LoggingConfig.from(root.section("logging"));
        CacheConfig cache = CacheConfig.from(root.section("cache"));
        DeliveryConfig delivery = DeliveryConfig.from(root.section("delivery"), base);
        List<MilterConfig> milters = root.sections("milters").stream().map(MilterConfig::from).toList();
        checkListeners(root, listeners, tls, admin);
        checkMilters(root, listeners, milters);
        OutboundConfig outbound = OutboundConfig.from(root.section("outbound"), base);
        queue = oneDestinationLimit(root, queue, outbound);
        return new PosternConfig(node, listeners, admin, tls, directory, domains, relay, auth, smtp, pop3, queue,
                spool, logging, cache, delivery, outbound.withMaxPerDestination(queue.destinationConcurrency()), milters,
                RoutingConfig.from(root.section("routing"), domains));
    }

    /**
     * One per-destination limit: {@code queue.destinationConcurrency}, read by the queue's destination
     * table and by the outbound client alike. The old {@code outbound.connections.maxPerDestination}
     * is still accepted with a warning at start: its value counts when the new key is not set.
     */
    private static QueueConfig oneDestinationLimit(ConfigNode root, QueueConfig queue, OutboundConfig outbound) {
        if (!root.isSet("outbound", "connections", OutboundConfig.Connections.DEPRECATED_MAX_PER_DESTINATION)) {
            return queue;
        }
        boolean newKeySet = root.isSet("queue", "destinationConcurrency");
        LOG.warn("event=config-deprecated key=outbound.connections.maxPerDestination use=queue.destinationConcurrency"
                + " action={}", newKeySet ? "ignored" : "used-as-queue.destinationConcurrency");
        return newKeySet ? queue : queue.withDestinationConcurrency(outbound.connections().maxPerDestination());
    }
    /** The milters a listener asks, in its order; names were checked when the file was read. */
    public List<MilterConfig> miltersOf(ListenerConfig listener) {
        return listener.milters().stream()
                .map(name -> milters.stream().filter(m -> m.name().equals(name)).findFirst().orElseThrow())
                .toList();
    }

    private static void checkMilters(ConfigNode root, List<ListenerConfig> listeners, List<MilterConfig> milters) {
        Map<String, Integer> names = new HashMap<>();
        for (int i = 0; i < milters.size(); i++) {
            if (milters.get(i).name().isEmpty()) {
                continue; // already reported as missing
            }
            Integer same = names.putIfAbsent(milters.get(i).name(), i);
            if (same != null) {
                root.problems().add("milters[" + i + "].name", "'" + milters.get(i).name()
                        + "' is already used by milters[" + same + "]");
            }
        }
        for (int i = 0; i < listeners.size(); i++) {
            ListenerConfig listener = listeners.get(i);
            String path = "listeners[" + i + "].milters";
            if (!listener.milters().isEmpty() && listener.kind() != ListenerKind.MX
                    && listener.kind() != ListenerKind.SUBMISSION) {
                root.problems().add(path, "milters apply to mx and submission listeners only");
            }
            for (String name : listener.milters()) {
                if (!names.containsKey(name)) {
                    root.problems().add(path, "'" + name + "' is not defined in the milters section"
                            + (names.isEmpty() ? "" : " (defined: " + String.join(", ", names.keySet().stream().sorted().toList()) + ")"));
                }
            }
            if (listener.milters().stream().distinct().count() != listener.milters().size()) {
                root.problems().add(path, "names a milter twice");
            }
        }
    }

    private static void checkListeners(ConfigNode root, List<ListenerConfig> listeners, TlsConfig tls, AdminConfig admin) {
        Map<String, Integer> names = new HashMap<>();
        Map<String, Integer> sockets = new HashMap<>();
        if (admin.enabled()) {
            sockets.put(admin.address() + ":" + admin.port(), -1);
            QueueApiConfig queueApi = admin.queueApi();
            if (queueApi.enabled() && sockets.putIfAbsent(queueApi.address() + ":" + queueApi.port(), -2) != null
                    && queueApi.port() != 0) {
                root.problems().add("admin.queueApi.port", queueApi.port() + " on " + queueApi.address()
                        + " is already used by admin: the queue API needs a socket of its own");
            }
        }
        for (int i = 0; i < listeners.size(); i++) {
            ListenerConfig listener = listeners.get(i);
            String path = "listeners[" + i + "]";
            Integer sameName = names.putIfAbsent(listener.name(), i);
            if (sameName != null) {
                root.problems().add(path + ".name", "'" + listener.name() + "' is already used by listeners[" + sameName + "]");
            }
            Integer sameSocket = sockets.putIfAbsent(listener.address() + ":" + listener.port(), i);
            if (sameSocket != null && listener.port() != 0) {
                root.problems().add(path + ".port", listener.port() + " on " + listener.address() + " is already used by "
                        + (sameSocket == -1 ? "admin" : sameSocket == -2 ? "admin.queueApi" : "listeners[" + sameSocket + "]"));
            }
            if (listener.tls() != TlsMode.NONE && !tls.configured()) {
                root.problems().add(path + ".tls", "'" + ConfigNode.wireName(listener.tls())
                        + "' needs a certificate (tls.certificateFile and tls.privateKeyFile, or tls.selfSigned)");
            }
            if (listener.kind() == ListenerKind.LMTP && listener.tls() == TlsMode.IMPLICIT) {
                root.problems().add(path + ".tls", "LMTP does not use implicit TLS (none or starttls)");
            }
        }
    }

    static ConfigNode.Parsed<String> parseDomain(String text) {
        String domain = text.toLowerCase(Locale.ROOT);
        if (domain.length() > 253
                || !domain.matches("[a-z0-9]([a-z0-9-]{0,62})(\\.[a-z0-9]([a-z0-9-]{0,62}))+")) {
            return ConfigNode.Parsed.problem("'" + text + "' is not a domain name");
        }
        return ConfigNode.Parsed.ok(domain);
    }
}
