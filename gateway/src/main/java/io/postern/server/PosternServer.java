package io.postern.server;

import io.netty.handler.ssl.SslContext;
import io.postern.config.ListenerConfig;
import io.postern.config.ListenerKind;
import io.postern.config.PosternConfig;
import io.postern.config.Role;
import io.postern.directory.ldap.EmbeddedDirectoryServer;
import io.postern.observability.AdminServer;
import io.postern.observability.Metrics;
import io.postern.observability.ReadinessCheck;
import io.postern.queue.MailQueue;
import io.postern.tls.TlsContexts;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One running node: starts the parts its role needs in dependency order (metrics, directory,
 * TLS, listeners, admin endpoint) and stops them in reverse, draining sessions first.
 * Thread-safe; {@link #close()} is idempotent.
 */
public final class PosternServer implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(PosternServer.class);

    private final PosternConfig config;
    private final List<AutoCloseable> resources = new ArrayList<>();
    private ListenerSet listeners;
    private AdminServer admin;
    private MailQueue queue;
    private boolean closed;

    private PosternServer(PosternConfig config) {
        this.config = config;
    }

    public static PosternServer start(PosternConfig config) throws Exception {
        PosternServer server = new PosternServer(config);
        try {
            server.startParts();
        } catch (Exception e) {
            server.close();
            throw e;
        }
        return server;
    }

    private void startParts() throws Exception {
        Metrics metrics = new Metrics();
        resources.add(metrics);
        if (config.node().role() != Role.DELIVERY) {
            // No DeliveryAgent yet: messages are accepted and wait until one is set through queue().
            queue = MailQueue.start(config.queue(), config.node().hostname(), postmaster(), metrics.registry());
            resources.add(queue);
        }
        if (config.directory().embedded().isPresent()) {
            resources.add(EmbeddedDirectoryServer.start(config.directory().embedded().get(), config.directory().baseDn()));
        }
        Optional<SslContext> tls = TlsContexts.server(config.tls(), config.node().hostname());
        Map<ListenerKind, ProtocolInitializer> protocols = protocols();
        listeners = new ListenerSet(Transport.best(), Math.max(2, Runtime.getRuntime().availableProcessors()));
        for (ListenerConfig listener : config.listeners()) {
            if (servesInRole(listener.kind(), config.node().role())) {
                listeners.bind(listener, tls, protocols);
            }
        }
        if (config.admin().enabled()) {
            admin = AdminServer.start(config.admin().address(), config.admin().port(), metrics, readinessChecks());
            if (queue != null) {
                var api = queue.adminApi();
                admin.route("/queue/", (method, path, query) -> {
                    var reply = api.handle(method, path, query);
                    return new AdminServer.Reply(reply.status(), reply.body());
                });
            }
        }
        LOG.info("event=started role={} transport={} listeners=\"{}\" admin={}",
                config.node().role().name().toLowerCase(Locale.ROOT), listeners.transportName(), describeListeners(),
                admin == null ? "off" : config.admin().address() + ":" + admin.port());
    }

    private io.postern.mail.MailAddress postmaster() {
        String domain = config.domains().isEmpty() ? config.node().hostname() : config.domains().get(0);
        return io.postern.mail.MailAddress.parse(config.queue().postmaster().orElse("postmaster@" + domain))
                .orElse(new io.postern.mail.MailAddress("postmaster", domain));
    }

    /** The node-local queue (front and all roles): its sink for SMTP, and setDeliveryAgent for delivery. */
    public Optional<MailQueue> queue() {
        return Optional.ofNullable(queue);
    }

    /** front: every listener; delivery: LMTP only; all: every listener. */
    static boolean servesInRole(ListenerKind kind, Role role) {
        return switch (role) {
            case ALL, FRONT -> true;
            case DELIVERY -> kind == ListenerKind.LMTP;
        };
    }

    private Map<ListenerKind, ProtocolInitializer> protocols() {
        String host = config.node().hostname();
        Map<ListenerKind, ProtocolInitializer> map = new EnumMap<>(ListenerKind.class);
        map.put(ListenerKind.MX, new UnservedProtocol("421 4.3.2 " + host + " SMTP is not served by this build\r\n"));
        map.put(ListenerKind.SUBMISSION, new UnservedProtocol("421 4.3.2 " + host + " submission is not served by this build\r\n"));
        map.put(ListenerKind.LMTP, new UnservedProtocol("421 4.3.2 " + host + " LMTP is not served by this build\r\n"));
        map.put(ListenerKind.POP3, new UnservedProtocol("-ERR [SYS/TEMP] POP3 is not served by this build\r\n"));
        return map;
    }

    private List<ReadinessCheck> readinessChecks() {
        return List.of();
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

    public int adminPort() {
        return admin == null ? -1 : admin.port();
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
        if (admin != null) {
            admin.close();
        }
        for (int i = resources.size() - 1; i >= 0; i--) {
            try {
                resources.get(i).close();
            } catch (Exception e) {
                LOG.warn("event=close-failed resource={} error=\"{}\"", resources.get(i).getClass().getSimpleName(),
                        e.getMessage());
            }
        }
    }
}
