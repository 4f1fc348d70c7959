package io.postern.server;

import io.micrometer.core.instrument.MeterRegistry;
import io.postern.admin.AdminHttpServer;
import io.postern.admin.AdminReplies;
import io.postern.admin.AdminReply;
import io.postern.admin.AdminRoute;
import io.postern.admin.HealthRoutes;
import io.postern.admin.QueueApiGuard;
import io.netty.handler.ssl.SslContext;
import io.postern.config.ListenerConfig;
import io.postern.config.ListenerKind;
import io.postern.config.PosternConfig;
import io.postern.config.Role;
import io.postern.directory.Directory;
import io.postern.mail.MessageSink;
import io.postern.net.Transport;
import io.postern.observability.LogFormat;
import io.postern.observability.Metrics;
import io.postern.observability.ReadinessCheck;
import io.postern.queue.MailQueue;
import io.postern.routing.RelayDomainDirectory;
import io.postern.tls.TlsContexts;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One running node: starts the parts its role needs in dependency order (metrics, directory,
 * message path, TLS, listeners, admin endpoint) and stops them in reverse, draining sessions
 * first. Thread-safe; {@link #close()} is idempotent.
 */
public final class PosternServer implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(PosternServer.class);

    private final PosternConfig config;
    private final Resources resources = new Resources();
    private DirectoryService directory;
    private MessagePath path;
    private ListenerSet listeners;
    private AdminHttpServer admin;
    private AdminHttpServer queueApi;
    private Optional<NodeDrain> drain = Optional.empty();
    private boolean closed;

    private PosternServer(PosternConfig config) {
        this.config = config;
    }

    /**
     * Parts a caller supplies instead of the configured ones (tests, embedding): a directory instead
     * of LDAP behind the cache, a sink for SMTP and submission instead of the queue. Empty means
     * the configured part.
     */
    public record Parts(Optional<Directory> directory, Optional<MessageSink> smtpSink) {
        public Parts {
            java.util.Objects.requireNonNull(directory);
            java.util.Objects.requireNonNull(smtpSink);
        }

        public static Parts none() {
            return new Parts(Optional.empty(), Optional.empty());
        }
    }

    public static PosternServer start(PosternConfig config) throws Exception {
        return start(config, Parts.none());
    }

    /** With a directory of the caller's; empty means the configured LDAP directory behind the cache. */
    public static PosternServer start(PosternConfig config, Optional<Directory> directory) throws Exception {
        return start(config, new Parts(directory, Optional.empty()));
    }

    public static PosternServer start(PosternConfig config, Parts parts) throws Exception {
        PosternServer server = new PosternServer(config);
        try {
            server.startParts(parts);
        } catch (Exception e) {
            server.close();
            throw e;
        }
        return server;
    }

    private void startParts(Parts parts) throws Exception {
        LogFormat.apply(config.logging());
        Metrics metrics = resources.add(new Metrics());
        MeterRegistry registry = metrics.registry();
        directory = DirectoryService.start(config, parts.directory(), registry, resources);
        // Relay domains are accepted and checked like local ones (docs/routing.md).
        Directory routed = RelayDomainDirectory.wrap(directory.directory(), config.routing());
        path = MessagePath.start(config, routed, registry, resources);
        ClusterNetworkCheck.warn(config.relay());
        // A directory outage is not a destination failure: what it deferred goes as soon as it is back.
        path.queue().ifPresent(queue -> directory.onRecovery().accept(queue::directoryAnswers));
        Optional<SslContext> tls = TlsContexts.server(config.tls(), config.node().hostname());
        Map<ListenerKind, ProtocolInitializer> protocols =
                Protocols.build(config, routed, parts.smtpSink().or(path::smtpSink), path.lmtpSink(), tls,
                        registry, resources, path.forecast());
        tls.ifPresent(context -> TlsContexts.meterExpiry(context, registry));
        listeners = new ListenerSet(Transport.best(), Math.max(2, Runtime.getRuntime().availableProcessors()), registry);
        for (ListenerConfig listener : config.listeners()) {
            if (servesInRole(listener.kind(), config.node().role())) {
                listeners.bind(listener, protocols);
            }
        }
        drain = path.queue().map(queue -> new NodeDrain(listeners, queue, config.queue().directory()));
        var adminConfig = config.admin();
        if (adminConfig.enabled()) {
            admin = AdminHttpServer.start("admin", adminConfig.address(), adminConfig.port(), adminConfig,
                    new HealthRoutes(metrics, readinessChecks()));
            var queueApiConfig = adminConfig.queueApi();
            if (queueApiConfig.enabled() && path.queue().isPresent()) {
                queueApi = AdminHttpServer.start("queue-api", queueApiConfig.address(), queueApiConfig.port(),
                        adminConfig, new QueueApiGuard(queueApiConfig.token(),
                                queueRoute(path.queue().get(), drain.orElseThrow())));
            }
        }
        LOG.info("event=started role={} transport={} listeners=\"{}\" admin={} queue_api={}",
                config.node().role().name().toLowerCase(Locale.ROOT), listeners.transportName(), describeListeners(),
                admin == null ? "off" : adminConfig.address() + ":" + admin.port(),
                queueApi == null ? "off" : adminConfig.queueApi().address() + ":" + queueApi.port()
                        + (adminConfig.queueApi().tokenRequired() ? "/token" : ""));
    }

    /** The queue's operator API under {@code /queue/} and the drain; nothing else is served on its socket. */
    private static AdminRoute queueRoute(MailQueue queue, NodeDrain drain) {
        var api = queue.adminApi();
        return request -> {
            if (!request.path().startsWith("/queue/")) {
                return AdminReplies.NOT_FOUND;
            }
            if (request.path().equals(NodeDrain.PATH)) {
                return drain.handle(request);
            }
            var reply = api.handle(request.method(), request.path(), request.query());
            return AdminReply.text(reply.status(), reply.body());
        };
    }

    /** front: every listener; delivery: LMTP only; all: every listener. */
    static boolean servesInRole(ListenerKind kind, Role role) {
        return switch (role) {
            case ALL, FRONT -> true;
            case DELIVERY -> kind == ListenerKind.LMTP;
        };
    }

    /** /readyz by role: the queue gates a front, the spool a delivery node (RoleReadiness). */
    private List<ReadinessCheck> readinessChecks() {
        List<ReadinessCheck> checks = new java.util.ArrayList<>(RoleReadiness.checks(config.node().role(),
                directory.readiness(), config.queue().directory(), config.spool().root(),
                config.delivery().tempDirectory()));
        drain.ifPresent(checks::add);
        return checks;
    }

    /** Starts a drain as {@code POST /queue/drain} does (a node with a queue); false when the role has none. */
    public boolean drain() {
        drain.ifPresent(NodeDrain::start);
        return drain.isPresent();
    }

    private String describeListeners() {
        return listeners.bound().stream()
                .map(b -> b.config().name() + "=" + b.config().address() + ":" + b.port() + "/"
                        + b.config().tls().name().toLowerCase(Locale.ROOT))
                .collect(Collectors.joining(" "));
    }

    public PosternConfig config() {
        return config;
    }

    public List<ListenerSet.BoundListener> boundListeners() {
        return listeners == null ? List.of() : listeners.bound();
    }

    /** The directory every part asks (recipients, logins, domains), behind the cache. */
    public Directory directory() {
        return directory.directory();
    }

    /** The node-local queue (front and all roles). */
    public Optional<MailQueue> queue() {
        return path.queue();
    }

    /** Where LMTP puts what it receives: local delivery (or the hand-off to delivery workers on a front node). */
    public MessageSink localDeliverySink() {
        return path.lmtpSink();
    }

    public int adminPort() {
        return admin == null ? -1 : admin.port();
    }

    /** The queue API's port, -1 when it is off (or the role keeps no queue). */
    public int queueApiPort() {
        return queueApi == null ? -1 : queueApi.port();
    }

    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        if (listeners != null) {
            listeners.stop(config.node().drainTimeout());
        }
        if (queueApi != null) {
            queueApi.close();
        }
        if (admin != null) {
            admin.close();
        }
        resources.close();
    }
}
