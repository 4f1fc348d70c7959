package io.postern.server;

import io.netty.handler.ssl.SslContext;
import io.postern.config.ListenerConfig;
import io.postern.config.ListenerKind;
import io.postern.config.PosternConfig;
import io.postern.config.Role;
import io.postern.directory.Directory;
import io.postern.directory.ldap.EmbeddedDirectoryServer;
import io.postern.observability.AdminServer;
import io.postern.observability.LogFormat;
import io.postern.observability.Metrics;
import io.postern.observability.ReadinessCheck;
import io.postern.pop3.Pop3Pipeline;
import io.postern.pop3.Pop3Services;
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
    /** The directory, once a part provides it; protocols that need it stay unserved without it. */
    private final Optional<Directory> directory;
    private final List<AutoCloseable> resources = new ArrayList<>();
    private ListenerSet listeners;
    private AdminServer admin;
    private boolean closed;

    private PosternServer(PosternConfig config, Optional<Directory> directory) {
        this.config = config;
        this.directory = directory;
    }

    public static PosternServer start(PosternConfig config) throws Exception {
        return start(config, Optional.empty());
    }

    /** Starts with a given directory (tests, or until the LDAP directory part is wired here). */
    public static PosternServer start(PosternConfig config, Optional<Directory> directory) throws Exception {
        PosternServer server = new PosternServer(config, directory);
        try {
            server.startParts();
        } catch (Exception e) {
            server.close();
            throw e;
        }
        return server;
    }

    private void startParts() throws Exception {
        LogFormat.apply(config.logging());
        Metrics metrics = new Metrics();
        resources.add(metrics);
        if (config.directory().embedded().isPresent()) {
            resources.add(EmbeddedDirectoryServer.start(config.directory().embedded().get(), config.directory().baseDn()));
        }
        Optional<SslContext> tls = TlsContexts.server(config.tls(), config.node().hostname());
        Map<ListenerKind, ProtocolInitializer> protocols = protocols(metrics, tls);
        listeners = new ListenerSet(Transport.best(), Math.max(2, Runtime.getRuntime().availableProcessors()));
        for (ListenerConfig listener : config.listeners()) {
            if (servesInRole(listener.kind(), config.node().role())) {
                listeners.bind(listener, tls, protocols);
            }
        }
        if (config.admin().enabled()) {
            admin = AdminServer.start(config.admin().address(), config.admin().port(), metrics, readinessChecks());
        }
        LOG.info("event=started role={} transport={} listeners=\"{}\" admin={}",
                config.node().role().name().toLowerCase(Locale.ROOT), listeners.transportName(), describeListeners(),
                admin == null ? "off" : config.admin().address() + ":" + admin.port());
    }

    /** front: every listener; delivery: LMTP only; all: every listener. */
    static boolean servesInRole(ListenerKind kind, Role role) {
        return switch (role) {
            case ALL, FRONT -> true;
            case DELIVERY -> kind == ListenerKind.LMTP;
        };
    }

    private Map<ListenerKind, ProtocolInitializer> protocols(Metrics metrics, Optional<SslContext> tls) {
        String host = config.node().hostname();
        Map<ListenerKind, ProtocolInitializer> map = new EnumMap<>(ListenerKind.class);
        map.put(ListenerKind.MX, new UnservedProtocol("421 4.3.2 " + host + " SMTP is not served by this build\r\n"));
        map.put(ListenerKind.SUBMISSION, new UnservedProtocol("421 4.3.2 " + host + " submission is not served by this build\r\n"));
        map.put(ListenerKind.LMTP, new UnservedProtocol("421 4.3.2 " + host + " LMTP is not served by this build\r\n"));
        map.put(ListenerKind.POP3, pop3(metrics, tls)
                .orElse(new UnservedProtocol("-ERR [SYS/TEMP] POP3 is not served by this build\r\n")));
        return map;
    }

    /** POP3 needs the directory (logins, spool overrides); empty without one. */
    private Optional<ProtocolInitializer> pop3(Metrics metrics, Optional<SslContext> tls) {
        if (directory.isEmpty()) {
            return Optional.empty();
        }
        Pop3Services services = Pop3Services.create(config.node().hostname(), config.pop3(), config.auth(),
                config.spool(), directory.get(), tls, metrics.registry());
        resources.add(services);
        return Optional.of((listener, channel, pipeline) -> Pop3Pipeline.configure(pipeline, listener, services));
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
