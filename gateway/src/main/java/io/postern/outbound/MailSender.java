package io.postern.outbound;

import io.micrometer.core.instrument.MeterRegistry;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.postern.config.OutboundConfig;
import io.postern.config.OutboundConfig.TlsPolicy;
import io.postern.mail.DeliveryResult;
import io.postern.mail.EnhancedStatus;
import io.postern.mail.EnvelopeRecipient;
import io.postern.mail.QueuedMessage;
import io.postern.net.Threads;
import io.postern.net.Transport;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import javax.net.ssl.SSLException;

/**
 * The engine shared by {@link OutboundDelivery} and {@link LmtpHandoff}: sends one message to one
 * destination (a list of addresses in the order to try), splitting the recipients into
 * transactions of at most {@code maxRecipientsPerTransaction}, taking sessions from the pool or
 * opening new ones, and moving to the next address when a host cannot take the session. Each
 * delivery runs on its own virtual thread; the network I/O is Netty's. Thread-safe.
 */
final class MailSender implements AutoCloseable {
    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(MailSender.class);
    /** One address to try and the host name it belongs to (for TLS and diagnostics). */
    record Target(String hostName, InetSocketAddress address) {
        Target {
            Objects.requireNonNull(hostName);
            Objects.requireNonNull(address);
        }
    }

    /**
     * Where one group of recipients goes: label for metrics, targets in order, TLS policy, credentials.
     * {@code queueLimited}: the label is the recipients' own domain, whose per-destination limit the
     * queue's destination table already enforced before this delivery started; the client does not
     * count it a second time. A next hop the queue cannot see (the relay host, shared by every
     * domain) is capped here with the same limit.
     */
    record Destination(String label, List<Target> targets, TlsPolicy policy, Optional<SmtpClient.Credentials> credentials,
                       boolean queueLimited) {
        Destination {
            Objects.requireNonNull(label);
            targets = List.copyOf(targets);
            Objects.requireNonNull(policy);
            Objects.requireNonNull(credentials);
        }

        /** A next hop the queue does not know: capped by the client. */
        Destination(String label, List<Target> targets, TlsPolicy policy, Optional<SmtpClient.Credentials> credentials) {
            this(label, targets, policy, credentials, false);
        }
    }

    private final OutboundConfig config;
    private final EventLoopGroup group;
    private final SmtpClient client;
    private final ConnectionPool pool;
    private final OutboundMetrics metrics;
    private final DestinationLimiter limiter;
    private final ExecutorService executor = Threads.virtual("outbound");

    private MailSender(OutboundConfig config, EventLoopGroup group, SmtpClient client, ConnectionPool pool,
                       OutboundMetrics metrics) {
        this.config = config;
        this.group = group;
        this.client = client;
        this.pool = pool;
        this.metrics = metrics;
        this.limiter = new DestinationLimiter(config.connections().maxPerDestination());
    }

    static MailSender start(OutboundConfig config, String heloName, SmtpClient.Protocol protocol, MeterRegistry registry) {
        Transport transport = Transport.best();
        EventLoopGroup group = transport.newGroup("outbound-io", 2);
        Bootstrap bootstrap = new Bootstrap().group(group).channel(transport.clientChannel())
                .option(ChannelOption.TCP_NODELAY, true)
                .option(ChannelOption.SO_KEEPALIVE, true);
        OutboundMetrics metrics = new OutboundMetrics(registry);
        SmtpClient client;
        try {
            client = new SmtpClient(bootstrap, config, heloName, protocol, metrics);
        } catch (SSLException e) {
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS);
            throw new IllegalStateException("cannot set up outbound TLS: " + e.getMessage(), e);
        }
        ConnectionPool pool = new ConnectionPool(config.connections(), config.timeouts().helo(), protocol, metrics);
        long sweep = Math.max(250, Math.min(1000, config.connections().idleTimeout().toMillis() / 2));
        group.scheduleAtFixedRate(pool::sweep, sweep, sweep, TimeUnit.MILLISECONDS);
        return new MailSender(config, group, client, pool, metrics);
    }

    /** Runs {@code work} on a virtual thread; a bug inside defers the recipients instead of failing the future. */
    CompletableFuture<List<DeliveryResult>> async(List<EnvelopeRecipient> recipients, Supplier<List<DeliveryResult>> work) {
        return CompletableFuture.supplyAsync(() -> {
            try {
                return work.get();
            } catch (RuntimeException e) {
                // A bug: deferred (nothing lost), and logged with its stack so that it can be found.
                io.postern.observability.LogLine.event("delivery-internal-error").add("rcpts", recipients.size())
                        .add("error", e.toString()).cause(e).error(LOG);
                return recipients.stream().map(r -> ReplyMapping.local(r, Diagnostics.INTERNAL_CODE,
                        Diagnostics.internal(e), Optional.empty())).toList();
            }
        }, executor);
    }

    /** Combines per-group futures into one list, in any order. */
    static CompletableFuture<List<DeliveryResult>> all(List<CompletableFuture<List<DeliveryResult>>> parts) {
        return CompletableFuture.allOf(parts.toArray(CompletableFuture[]::new)).thenApply(ignored -> {
            List<DeliveryResult> out = new ArrayList<>();
            parts.forEach(p -> out.addAll(p.join()));
            return List.copyOf(out);
        });
    }

    /** The same result for every recipient (a routing failure), counted in the metrics. */
    List<DeliveryResult> everyone(List<EnvelopeRecipient> recipients, EnhancedStatus code, String diagnostic) {
        List<DeliveryResult> out = recipients.stream()
                .map(r -> ReplyMapping.local(r, code, diagnostic, Optional.empty())).toList();
        out.forEach(r -> metrics.result(client.protocol(), r));
        return out;
    }

    List<DeliveryResult> send(Destination destination, QueuedMessage message, List<EnvelopeRecipient> recipients) {
        List<DeliveryResult> out = new ArrayList<>();
        int chunk = config.maxRecipientsPerTransaction();
        try (DestinationLimiter.Slot slot = destination.queueLimited() ? DestinationLimiter.Slot.NONE
                : limiter.acquire(destination.label())) {
            for (int from = 0; from < recipients.size(); from += chunk) {
                out.addAll(sendTransaction(destination, message,
                        recipients.subList(from, Math.min(recipients.size(), from + chunk))));
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return everyone(recipients.subList(out.size(), recipients.size()), Diagnostics.INTERNAL_CODE,
                    "interrupted while waiting for a session to " + destination.label());
        }
        out.forEach(r -> metrics.result(client.protocol(), r));
        return List.copyOf(out);
    }

    private List<DeliveryResult> sendTransaction(Destination destination, QueuedMessage message,
                                                 List<EnvelopeRecipient> recipients) {
        EnhancedStatus code = Diagnostics.LMTP_TARGETS_CODE;
        String diagnostic = destination.targets().isEmpty() ? Diagnostics.noLmtpTargets() : "no host to try";
        Optional<String> mta = Optional.empty();
        boolean allPermanent = !destination.targets().isEmpty();
        for (MailSender.Target target : destination.targets()) {
            // The host name is part of the key: TLS verification and the reported Remote-MTA depend on it.
            String key = client.protocol() + "|" + target.hostName() + "|" + target.address() + "|" + destination.policy() + "|"
                    + destination.credentials().map(SmtpClient.Credentials::username).orElse("");
            boolean mayReuse = true;
            while (true) {
                long start = System.nanoTime();
                Optional<SmtpConnection> pooled = mayReuse ? pool.take(key) : Optional.empty();
                SmtpConnection connection;
                if (pooled.isPresent()) {
                    connection = pooled.get();
                } else {
                    SmtpClient.Opened opened = client.open(target.address(), target.hostName(), destination.policy(),
                            destination.credentials());
                    if (opened instanceof SmtpClient.Opened.Unavailable u) {
                        code = u.enhancedCode();
                        diagnostic = u.diagnostic();
                        mta = u.remoteMta();
                        allPermanent &= u.permanent();
                        break;
                    }
                    connection = ((SmtpClient.Opened.Ready) opened).connection();
                }
                MailTransaction.Outcome outcome = MailTransaction.run(connection, message, recipients,
                        config.timeouts(), client.protocol() == SmtpClient.Protocol.LMTP);
                if (outcome.tryNextHost()) {
                    SessionFailure failure = outcome.failure().orElseThrow();
                    code = failure.enhancedCode();
                    diagnostic = failure.getMessage();
                    mta = Optional.of(connection.remoteMta());
                    allPermanent = false;
                    if (pooled.isPresent()) {
                        mayReuse = false;
                        continue;
                    }
                    break;
                }
                metrics.transaction(client.protocol(), destination.label(), Duration.ofNanos(System.nanoTime() - start));
                if (outcome.reusable()) {
                    pool.release(key, connection);
                } else {
                    connection.close();
                }
                return outcome.results();
            }
        }
        // Every host refused or failed: bounce only when all of them said 5xx, otherwise try again later.
        EnhancedStatus finalCode = allPermanent ? code : code.withClass(4);
        String finalDiagnostic = diagnostic;
        Optional<String> finalMta = mta;
        return recipients.stream().map(r -> ReplyMapping.local(r, finalCode, finalDiagnostic, finalMta)).toList();
    }

    /** How one transaction at one address went, for the hand-off's own choice of the next worker. */
    sealed interface Attempt {
        /** The server answered for every recipient (2xx, 4xx or 5xx each). */
        record Done(List<DeliveryResult> results) implements Attempt {
        }

        /** No session could be had: the address is at its session limit, or answered 4xx at greeting/LHLO. */
        record Busy(String diagnostic) implements Attempt {
        }

        /**
         * The address could not be reached, refused for good (5xx greeting), or the session broke.
         * {@code results} holds every recipient (temporary failures for the unanswered ones);
         * {@code unanswered} are those to try at another address (all of them when nothing was sent);
         * {@code mayHaveArrived}: the session broke after the server took the envelope, so the
         * message may be in some of their mailboxes.
         */
        record Down(List<DeliveryResult> results, List<EnvelopeRecipient> unanswered, boolean permanent,
                    boolean mayHaveArrived) implements Attempt {
        }
    }

    /** Counts the open sessions to one address; a new session needs a permit, given back when it closes. */
    interface SessionGate {
        boolean tryOpen();

        void closed();
    }

    /**
     * One transaction at one address, without failover and without the destination limiter (the
     * caller's {@code gate} bounds the sessions to this address): an idle session from the pool
     * when one is kept, else a new one if the gate allows.
     */
    Attempt attempt(Target target, QueuedMessage message, List<EnvelopeRecipient> recipients, SessionGate gate) {
        return attempt(target, message, recipients, gate, config.timeouts());
    }

    /** As {@link #attempt(Target, QueuedMessage, List, SessionGate)}, waiting for each reply as {@code timeouts} say. */
    Attempt attempt(Target target, QueuedMessage message, List<EnvelopeRecipient> recipients, SessionGate gate,
                    OutboundConfig.Timeouts timeouts) {
        String key = client.protocol() + "|" + target.hostName() + "|" + target.address() + "|" + TlsPolicy.NONE + "|";
        boolean mayReuse = true;
        while (true) {
            long start = System.nanoTime();
            Optional<SmtpConnection> pooled = mayReuse ? pool.take(key) : Optional.empty();
            SmtpConnection connection;
            if (pooled.isPresent()) {
                connection = pooled.get();
            } else {
                if (!gate.tryOpen()) {
                    return new Attempt.Busy(target.address() + " is at its session limit");
                }
                SmtpClient.Opened opened = client.open(target.address(), target.hostName(), TlsPolicy.NONE, Optional.empty(),
                        timeouts);
                if (opened instanceof SmtpClient.Opened.Unavailable u) {
                    gate.closed();
                    if (u.answered() && !u.permanent()) {
                        return new Attempt.Busy(u.diagnostic());
                    }
                    List<DeliveryResult> results = recipients.stream()
                            .map(r -> ReplyMapping.local(r, u.enhancedCode(), u.diagnostic(), u.remoteMta())).toList();
                    return new Attempt.Down(results, recipients, u.permanent(), false);
                }
                connection = ((SmtpClient.Opened.Ready) opened).connection();
                connection.whenClosed(gate::closed);
            }
            MailTransaction.Outcome outcome = MailTransaction.run(connection, message, recipients, timeouts,
                    client.protocol() == SmtpClient.Protocol.LMTP);
            if (outcome.tryNextHost() && pooled.isPresent()) {
                // An idle session the server had given up on: a fresh one says whether the host is really down.
                mayReuse = false;
                continue;
            }
            if (outcome.failure().isPresent()) {
                List<EnvelopeRecipient> unanswered = outcome.tryNextHost() ? recipients : outcome.unanswered();
                return new Attempt.Down(outcome.results(), unanswered, false, !outcome.tryNextHost());
            }
            metrics.transaction(client.protocol(), "lmtp", Duration.ofNanos(System.nanoTime() - start));
            if (outcome.reusable()) {
                pool.release(key, connection);
            } else {
                connection.close();
            }
            return new Attempt.Done(outcome.results());
        }
    }

    /** Counts the final results of a delivery done through {@link #attempt}. */
    void count(List<DeliveryResult> results) {
        results.forEach(r -> metrics.result(client.protocol(), r));
    }

    int idleConnections() {
        return pool.idleCount();
    }

    @Override
    public void close() {
        pool.close();
        executor.shutdown();
        try {
            executor.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        group.shutdownGracefully(0, 2, TimeUnit.SECONDS).awaitUninterruptibly(5, TimeUnit.SECONDS);
    }
}
