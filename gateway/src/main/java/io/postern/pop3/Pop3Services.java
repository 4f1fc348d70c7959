package io.postern.pop3;

import io.micrometer.core.instrument.MeterRegistry;
import io.netty.handler.ssl.SslContext;
import io.postern.config.AuthConfig;
import io.postern.config.Pop3Config;
import io.postern.config.SpoolConfig;
import io.postern.directory.Directory;
import io.postern.mailbox.MailboxStore;
import io.postern.mailbox.SpoolLayout;
import io.postern.net.ConnectionLimits;
import io.postern.net.Threads;
import io.postern.sasl.LoginThrottle;
import java.time.Clock;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ExecutorService;

/**
 * Everything POP3 sessions of one node share: configuration, the directory, the mailbox store
 * (locks), the login throttle (the node's, shared with SMTP), the TLS context for STLS, meters,
 * connection caps (one set per listener), and the executor that runs blocking work (directory
 * binds, file listing, deletion) off the network threads. Immutable references; the parts are
 * thread-safe. {@link #close()} stops the lock
 * refresher (held locks are released) and the executor.
 */
public final class Pop3Services implements AutoCloseable {
    private final String hostname;
    private final Pop3Config config;
    private final AuthConfig auth;
    private final Directory directory;
    private final MailboxStore mailboxes;
    private final LoginThrottle limiter;
    private final Optional<SslContext> tls;
    private final Pop3Metrics metrics;
    private final ExecutorService blocking;
    private final ConnectionLimits connectionLimits;

    /** Standalone POP3 (tests, embedders): its own login throttle, not shared with SMTP. */
    public Pop3Services(String hostname, Pop3Config config, AuthConfig auth, Directory directory,
                        MailboxStore mailboxes, Optional<SslContext> tls, MeterRegistry registry) {
        this(hostname, config, auth, directory, mailboxes, tls, registry, new LoginThrottle(auth.throttle(), registry));
    }

    /** {@code throttle} is the node's one login throttle, shared with SMTP. */
    public Pop3Services(String hostname, Pop3Config config, AuthConfig auth, Directory directory,
                        MailboxStore mailboxes, Optional<SslContext> tls, MeterRegistry registry,
                        LoginThrottle throttle) {
        this.hostname = Objects.requireNonNull(hostname);
        this.config = Objects.requireNonNull(config);
        this.auth = Objects.requireNonNull(auth);
        this.directory = Objects.requireNonNull(directory);
        this.mailboxes = Objects.requireNonNull(mailboxes);
        this.tls = Objects.requireNonNull(tls);
        this.limiter = Objects.requireNonNull(throttle);
        this.metrics = new Pop3Metrics(registry);
        this.blocking = Threads.virtual("pop3-io");
        this.connectionLimits = new ConnectionLimits(config.maxConnections(), config.maxConnectionsPerClient());
    }

    /** The usual construction: a mailbox store over the configured spools, locks named after this node. */
    public static Pop3Services create(String hostname, Pop3Config config, AuthConfig auth, SpoolConfig spool,
                                      Directory directory, Optional<SslContext> tls, MeterRegistry registry,
                                      LoginThrottle throttle) {
        MailboxStore store = new MailboxStore(new SpoolLayout(spool), spool.format(), hostname, config.lockLease(),
                Clock.systemUTC());
        return new Pop3Services(hostname, config, auth, directory, store, tls, registry, throttle);
    }

    String hostname() {
        return hostname;
    }

    Pop3Config config() {
        return config;
    }

    AuthConfig auth() {
        return auth;
    }

    Directory directory() {
        return directory;
    }

    public MailboxStore mailboxes() {
        return mailboxes;
    }

    LoginThrottle limiter() {
        return limiter;
    }

    Optional<SslContext> tls() {
        return tls;
    }

    public Pop3Metrics metrics() {
        return metrics;
    }

    ExecutorService blocking() {
        return blocking;
    }

    /** The caps of each listener (its own, else {@code pop3.*}): a full port 110 leaves 995 open. */
    ConnectionLimits connectionLimits() {
        return connectionLimits;
    }

    @Override
    public void close() {
        blocking.shutdown();
        mailboxes.close();
    }
}
