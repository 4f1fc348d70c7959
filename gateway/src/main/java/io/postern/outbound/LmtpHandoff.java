package io.postern.outbound;

import io.micrometer.core.instrument.MeterRegistry;
import io.postern.config.OutboundConfig;
import io.postern.mail.DeliveryAgent;
import io.postern.mail.DeliveryResult;
import io.postern.mail.EnhancedStatus;
import io.postern.mail.EnvelopeRecipient;
import io.postern.mail.HandoffKey;
import io.postern.mail.QueuedMessage;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * The {@code front} role's hand-off of local mail to delivery workers over LMTP (RFC 2033): the
 * configured targets ({@code outbound.lmtpTargets}, host:port; a Kubernetes Service name works,
 * resolved by the system resolver at each delivery) form one pool. One reply per recipient after
 * DATA: 2xx DELIVERED, 4xx DEFERRED, 5xx FAILED. LMTP runs inside the cluster network: no STARTTLS.
 *
 * <p>Failover ({@link LmtpWorkers}): a worker at its session limit or answering {@code 421} at
 * greeting is busy, not dead: the next worker is tried, and when all are busy the delivery waits
 * for a session (at most {@code outbound.handoff.busyWait}). A worker that cannot be reached is
 * passed over for {@code workerRetry}; the recipients are deferred (which the queue counts against
 * the destination) only when every worker failed. Recipients a worker never answered for after
 * the message was sent are retried on the next one with the message marked as a repeat, so the
 * worker looks for the copy it may already have written (exactly once, see
 * {@code io.postern.delivery.DeliveryKey}). Thread-safe.
 */
public final class LmtpHandoff implements DeliveryAgent, AutoCloseable {
    /** A moment between two rounds while every worker is busy: a 421 clears as soon as any session ends. */
    private static final long BUSY_PAUSE_NANOS = TimeUnit.MILLISECONDS.toNanos(100);

    private final OutboundConfig config;
    private final MailSender sender;
    private final LmtpWorkers workers;
    private final String origin;
    private final OutboundConfig.Timeouts directTimeouts;

    private LmtpHandoff(OutboundConfig config, MailSender sender, String origin) {
        this.config = config;
        this.directTimeouts = beforeReply(config.timeouts(), config.handoff().directWait());
        this.sender = sender;
        this.origin = HandoffKey.safeOrigin(origin);
        this.workers = new LmtpWorkers(config.handoff(), System::nanoTime);
    }

    /** A hand-off whose keys name {@code lhloHostname} as their origin (tests, a single front). */
    public static LmtpHandoff create(OutboundConfig config, String lhloHostname, MeterRegistry registry) {
        return create(config, lhloHostname, registry, lhloHostname);
    }

    /**
     * {@code origin} names this front's queue in the delivery keys: unique among the fronts that
     * share the workers (queue ids are unique only within one queue).
     */
    public static LmtpHandoff create(OutboundConfig config, String lhloHostname, MeterRegistry registry, String origin) {
        return new LmtpHandoff(config, MailSender.start(keepingIdle(config), lhloHostname, SmtpClient.Protocol.LMTP,
                registry), origin);
    }

    /**
     * The sessions to a worker are already bounded by {@code maxSessionsPerWorker}, idle ones
     * included: keeping up to that many idle spares a new session (connect, greeting, LHLO on both
     * sides) each time the number in use drops and rises again, as it does under bursty load.
     */
    static OutboundConfig keepingIdle(OutboundConfig config) {
        OutboundConfig.Connections c = config.connections();
        int idle = Math.max(c.maxIdlePerDestination(), config.handoff().maxSessionsPerWorker());
        return new OutboundConfig(config.port(), config.dnsServers(), config.dnsTimeout(), config.timeouts(),
                config.tls(), config.relayHost(), new OutboundConfig.Connections(c.maxPerDestination(), idle,
                c.idleTimeout(), c.maxMessagesPerConnection()), config.maxRecipientsPerTransaction(),
                config.maxReplyLineLength(), config.maxReplyLines(), config.lmtpTargets(), config.handoff());
    }

    @Override
    public CompletableFuture<List<DeliveryResult>> deliver(QueuedMessage message, List<EnvelopeRecipient> recipients) {
        if (recipients.isEmpty()) {
            return CompletableFuture.completedFuture(List.of());
        }
        return sender.async(recipients, () -> {
            List<DeliveryResult> out = handOff(message, recipients, false).orElseThrow();
            sender.count(out);
            return out;
        });
    }

    /**
     * The hand-off while the client waits for its {@code 250}, on the caller's thread: only live
     * workers are tried (one passed over may take a connect timeout to fail again), and a busy pool
     * and each reply up to DATA's {@code 354} are waited for at most
     * {@code outbound.handoff.directWait} ({@link #beforeReply}). Empty when nothing reached any
     * worker (no live worker, all busy, none reachable): the front's queue takes the message as a
     * first attempt.
     */
    @Override
    public Optional<List<DeliveryResult>> deliverBeforeReply(QueuedMessage message, List<EnvelopeRecipient> recipients) {
        if (recipients.isEmpty()) {
            return Optional.of(List.of());
        }
        Optional<List<DeliveryResult>> out;
        try {
            out = handOff(message, recipients, true);
        } catch (RuntimeException e) {
            // Something may have reached a worker: deferred, so the queue retries it as a repeat.
            out = Optional.of(recipients.stream().map(r -> ReplyMapping.local(r, Diagnostics.INTERNAL_CODE,
                    Diagnostics.internal(e), Optional.empty())).toList());
        }
        out.ifPresent(sender::count);
        return out;
    }

    /**
     * The timeouts while a client waits: every reply up to the {@code 354} within {@code wait} (a
     * worker that is frozen or partitioned is passed over quickly; nothing of the message is on it
     * yet). The content and the replies after the final dot keep theirs: the worker may be writing
     * the message, and a retry elsewhere before it finished could write a second copy.
     */
    static OutboundConfig.Timeouts beforeReply(OutboundConfig.Timeouts t, java.time.Duration wait) {
        return new OutboundConfig.Timeouts(min(t.connect(), wait), min(t.greeting(), wait), min(t.helo(), wait),
                min(t.mail(), wait), min(t.rcpt(), wait), min(t.dataInit(), wait), t.dataBlock(), t.dataDone());
    }

    private static java.time.Duration min(java.time.Duration a, java.time.Duration b) {
        return a.compareTo(b) <= 0 ? a : b;
    }

    /** Every chunk in turn; empty only in {@code direct} mode and only when no chunk reached a worker. */
    private Optional<List<DeliveryResult>> handOff(QueuedMessage message, List<EnvelopeRecipient> all, boolean direct) {
        List<DeliveryResult> out = new ArrayList<>();
        boolean reached = false;
        int chunk = config.maxRecipientsPerTransaction();
        for (int from = 0; from < all.size(); from += chunk) {
            List<EnvelopeRecipient> part = all.subList(from, Math.min(all.size(), from + chunk));
            Optional<List<DeliveryResult>> results = handOffTransaction(message, part, direct);
            if (results.isPresent()) {
                reached = true;
                out.addAll(results.get());
                continue;
            }
            if (!reached) {
                return Optional.empty();
            }
            // An earlier chunk reached a worker: no more waiting, the queue retries the rest as a repeat.
            all.subList(from, all.size()).forEach(r -> out.add(ReplyMapping.local(r, Diagnostics.WORKERS_BUSY_CODE,
                    "no LMTP worker took the message before the reply", Optional.empty())));
            break;
        }
        return reached || !direct ? Optional.of(List.copyOf(out)) : Optional.empty();
    }

    /**
     * One transaction with failover. Empty (only in {@code direct} mode) when the message reached
     * no worker: no worker gave a session in time, or every one failed before the envelope was taken.
     */
    private Optional<List<DeliveryResult>> handOffTransaction(QueuedMessage message, List<EnvelopeRecipient> recipients,
                                                              boolean direct) {
        long deadline = System.nanoTime()
                + (direct ? config.handoff().directWait() : config.handoff().busyWait()).toNanos();
        List<DeliveryResult> out = new ArrayList<>();
        List<EnvelopeRecipient> pending = recipients;
        QueuedMessage sending = keyed(message, message.attempt() == QueuedMessage.Attempt.REPEAT);
        boolean reached = false;
        while (true) {
            List<MailSender.Target> targets = new ArrayList<>();
            String unresolved = resolve(targets);
            if (targets.isEmpty()) {
                if (direct && !reached) {
                    return Optional.empty();
                }
                String diagnostic = unresolved.isEmpty() ? Diagnostics.noLmtpTargets()
                        : Diagnostics.unresolvable(unresolved, "unknown host");
                EnhancedStatus code = unresolved.isEmpty() ? Diagnostics.LMTP_TARGETS_CODE : Diagnostics.NO_ADDRESS_CODE;
                pending.forEach(r -> out.add(ReplyMapping.local(r, code, diagnostic, Optional.empty())));
                return Optional.of(out);
            }
            String busy = null;
            MailSender.Attempt.Down lastDown = null;
            boolean allPermanent = true;
            for (MailSender.Target target : workers.order(targets, MailSender.Target::address)) {
                LmtpWorkers.Worker worker = workers.worker(target.address());
                // The ones passed over come last and are tried only when no live worker is merely busy;
                // never while a client waits for its reply (the queue tries them).
                if (worker.passedOver() && (busy != null || direct)) {
                    continue;
                }
                MailSender.Attempt attempt = sender.attempt(target, sending, pending, worker,
                        direct ? directTimeouts : config.timeouts());
                switch (attempt) {
                    case MailSender.Attempt.Done done -> {
                        worker.answered();
                        out.addAll(done.results());
                        return Optional.of(out);
                    }
                    case MailSender.Attempt.Busy b -> {
                        worker.answered();
                        busy = b.diagnostic();
                    }
                    case MailSender.Attempt.Down down -> {
                        worker.failed();
                        for (DeliveryResult r : down.results()) {
                            if (!down.unanswered().contains(r.recipient())) {
                                out.add(r);
                            }
                        }
                        if (down.mayHaveArrived()) {
                            // That worker may have written the message: the next one must look for its copy.
                            sending = asRepeat(sending);
                            reached = true;
                        }
                        pending = down.unanswered();
                        lastDown = down;
                        allPermanent &= down.permanent();
                        if (pending.isEmpty()) {
                            return Optional.of(out);
                        }
                    }
                }
            }
            long left = deadline - System.nanoTime();
            if (busy != null && left > 0) {
                try {
                    workers.awaitSession(Math.min(left, BUSY_PAUSE_NANOS));
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return direct && !reached ? Optional.empty()
                            : Optional.of(finish(out, pending, Diagnostics.WORKERS_BUSY_CODE, busy, Optional.empty()));
                }
                continue;
            }
            if (direct && !reached) {
                return Optional.empty();
            }
            if (busy != null || lastDown == null) {
                return Optional.of(finish(out, pending, Diagnostics.WORKERS_BUSY_CODE,
                        busy == null ? "no LMTP worker available" : busy, Optional.empty()));
            }
            // Every worker failed: bounce only when all of them said 5xx, otherwise try again later.
            List<EnvelopeRecipient> left0 = pending;
            DeliveryResult sample = lastDown.results().stream().filter(r -> left0.contains(r.recipient()))
                    .findFirst().orElse(lastDown.results().getFirst());
            EnhancedStatus code = allPermanent ? sample.status() : sample.status().withClass(4);
            return Optional.of(finish(out, pending, code, sample.diagnostic(), sample.remoteMta()));
        }
    }

    private static List<DeliveryResult> finish(List<DeliveryResult> out, List<EnvelopeRecipient> pending, EnhancedStatus code,
                                               String diagnostic, Optional<String> mta) {
        pending.forEach(r -> out.add(ReplyMapping.local(r, code, diagnostic, mta)));
        return out;
    }

    /**
     * The message with this front's delivery key for the worker; a message that is not from the
     * durable queue (or has an id no file name may hold) goes without one, as before.
     */
    private QueuedMessage keyed(QueuedMessage message, boolean repeat) {
        Optional<HandoffKey> key = HandoffKey.of(message, repeat, origin);
        if (key.isEmpty()) {
            return message;
        }
        return new QueuedMessage(message.queueId(), message.envelope().withHandoffKey(key.get()), message.content(),
                repeat ? QueuedMessage.Attempt.REPEAT : message.attempt());
    }

    private QueuedMessage asRepeat(QueuedMessage message) {
        return message.envelope().handoffKey().map(k -> k.repeat() ? message : keyed(message, true)).orElse(message);
    }

    /** Every address of every target, in configuration order; the last target that did not resolve, or "". */
    private String resolve(List<MailSender.Target> targets) {
        String unresolved = "";
        for (OutboundConfig.HostPort target : config.lmtpTargets()) {
            try {
                for (InetAddress address : InetAddress.getAllByName(target.host())) {
                    targets.add(new MailSender.Target(target.host(), new InetSocketAddress(address, target.port())));
                }
            } catch (UnknownHostException e) {
                unresolved = target.toString();
            }
        }
        return unresolved;
    }

    /** Open sessions to one worker address (in use and idle), for tests and metrics. */
    int openSessions(InetSocketAddress worker) {
        return workers.worker(worker).openSessions();
    }

    @Override
    public void close() {
        sender.close();
    }
}
