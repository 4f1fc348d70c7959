package io.postern.server;

import io.netty.handler.ssl.SslContext;
import io.postern.config.ListenerConfig;
import io.postern.config.ListenerKind;
import io.postern.config.PosternConfig;
import io.postern.config.Role;
import io.postern.directory.Directory;
import io.postern.directory.ldap.EmbeddedDirectoryServer;
import io.postern.lmtp.LmtpPipeline;
import io.postern.mail.MessageSink;
import io.postern.observability.AdminServer;
import io.postern.observability.LogFormat;
import io.postern.observability.Metrics;
import io.postern.observability.ReadinessCheck;
import io.postern.sasl.AuthFailureLimiter;
import io.postern.smtp.SmtpPipeline;
import io.postern.smtp.SmtpServices;
import io.postern.smtp.inbound.policy.ConnectionLimits;
import io.postern.tls.TlsContexts;
import java.time.Clock;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
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
    private final Parts parts;
    private final List<AutoCloseable> resources = new ArrayList<>();
    private ListenerSet listeners;
    private AdminServer admin;
    private boolean closed;

    /**
     * Parts built elsewhere that the protocol front ends need: the directory, the queue (sink for
     * MX and submission) and the delivery layer (sink for LMTP). A listener whose parts are
     * absent keeps answering "not served".
     */
    public record Parts(Optional<Directory> directory, Optional<MessageSink> queue, Optional<MessageSink> delivery) {
        public Parts {
            Objects.requireNonNull(directory);
            Objects.requireNonNull(queue);
            Objects.requireNonNull(delivery);
        }

        public static Parts none() {
            return new Parts(Optional.empty(), Optional.empty(), Optional.empty());
        }
    }

    private PosternServer(PosternConfig config, Parts parts) {
        this.config = config;
        this.parts = parts;
    }

    public static PosternServer start(PosternConfig config) throws Exception {
        return start(config, Parts.none());
    }

    public static PosternServer start(PosternConfig config, Parts parts) throws Exception {
        PosternServer server = new PosternServer(config, parts);
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
        Map<ListenerKind, ProtocolInitializer> protocols = protocols(tls, metrics);
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

    private Map<ListenerKind, ProtocolInitializer> protocols(Optional<SslContext> tls, Metrics metrics) {
        String host = config.node().hostname();
        Map<ListenerKind, ProtocolInitializer> map = new EnumMap<>(ListenerKind.class);
        map.put(ListenerKind.MX, new UnservedProtocol("421 4.3.2 " + host + " SMTP is not served by this build\r\n"));
        map.put(ListenerKind.SUBMISSION, new UnservedProtocol("421 4.3.2 " + host + " submission is not served by this build\r\n"));
        map.put(ListenerKind.LMTP, new UnservedProtocol("421 4.3.2 " + host + " LMTP is not served by this build\r\n"));
        smtpProtocols(tls, metrics).forEach(map::put);
        map.put(ListenerKind.POP3, new UnservedProtocol("-ERR [SYS/TEMP] POP3 is not served by this build\r\n"));
        return map;
    }

    /** SMTP, submission and LMTP initializers for the parts that are present (issue 5). */
    private Map<ListenerKind, ProtocolInitializer> smtpProtocols(Optional<SslContext> tls, Metrics metrics) {
        Map<ListenerKind, ProtocolInitializer> map = new EnumMap<>(ListenerKind.class);
        Optional<MessageSink> anySink = parts.queue().or(parts::delivery);
        if (parts.directory().isEmpty() || anySink.isEmpty()) {
            return map;
        }
        ExecutorService blocking = Executors.newVirtualThreadPerTaskExecutor();
        resources.add(blocking::shutdownNow);
        SmtpServices services = new SmtpServices(config.node().hostname(), config.smtp(), config.auth(), config.relay(),
                config.domains(), parts.directory().get(), anySink.get(), tls,
                metrics.registry(),
                new AuthFailureLimiter(config.auth().maxFailuresPerClient(), config.auth().failureWindow()),
                new ConnectionLimits(config.smtp().maxConnections(), config.smtp().maxConnectionsPerClient()),
                blocking, Clock.systemDefaultZone());
        if (parts.queue().isPresent()) {
            ProtocolInitializer smtp = (listener, channel, pipeline) -> SmtpPipeline.configure(pipeline, listener, services);
            map.put(ListenerKind.MX, smtp);
            map.put(ListenerKind.SUBMISSION, smtp);
        }
        parts.delivery().ifPresent(delivery -> map.put(ListenerKind.LMTP,
                (listener, channel, pipeline) -> LmtpPipeline.configure(pipeline, listener, services, delivery)));
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
