package io.postern.routing;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.postern.config.DeliveryConfig;
import io.postern.config.NextHop;
import io.postern.delivery.DeliveryKey;
import io.postern.delivery.LocalDelivery;
import io.postern.delivery.LocalOutcome;
import io.postern.directory.Directory;
import io.postern.net.Threads;
import io.postern.observability.LogLine;
import io.postern.mail.DeliveryAgent;
import io.postern.mail.DeliveryResult;
import io.postern.mail.EnhancedStatus;
import io.postern.mail.RecipientOutcome;
import io.postern.mail.Envelope;
import io.postern.mail.EnvelopeRecipient;
import io.postern.mail.MailAddress;
import io.postern.mail.OriginalRecipient;
import io.postern.mail.QueuedMessage;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The queue's {@link DeliveryAgent}: expands every envelope recipient, delivers each distinct
 * local mailbox once, hands each distinct remote address once to the outbound agent and each
 * address of a relay domain or of a user with a home server elsewhere once to its next hop
 * ({@link NextHops}; never into a local spool), and answers
 * exactly one {@link DeliveryResult} per envelope recipient: delivered when all its targets were,
 * failed when any failed permanently, deferred otherwise. Without an outbound agent remote targets
 * are deferred with 4.4.0. Thread-safe; {@link #close()} stops its threads.
 *
 * <p>Local mailboxes are written in process through {@link LocalDelivery} on a bounded pool of
 * I/O threads this agent owns (roles {@code all} and {@code delivery}), or handed to delivery
 * workers through an LMTP {@link DeliveryAgent} (role {@code front}, {@link #withLmtpHandOff}):
 * each mailbox then travels as one LMTP recipient, the address that led to it (so a {@code +tag}
 * survives into {@code Delivered-To}).
 *
 * <p>Before the reply ({@link #deliverIfLocal}) only an all-local message is delivered, with either
 * transport: in the front role the workers get it in one LMTP transaction on the calling thread,
 * waiting at most {@code outbound.handoff.directWait} for a session.
 *
 * <p>A recipient whose targets were partly delivered and partly deferred is retried as a whole by
 * the queue. For a message of the durable queue ({@link DeliveryKey}) a Maildir target that already
 * has its copy is recognised and not written again, on such a retry as after a crash; mbox targets
 * and remote targets may get a second copy (see docs/queue.md).
 *
 * <p>Metrics: {@code postern.routing.results} (counter per envelope recipient, tag {@code outcome}).
 */
public final class RoutingDeliveryAgent implements DeliveryAgent, io.postern.mail.DirectDelivery, AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(RoutingDeliveryAgent.class);

    private final RecipientExpander expander;
    private final Optional<LocalDelivery> mda;
    private final Optional<DeliveryAgent> lmtp;
    private final Optional<DeliveryAgent> remote;
    private final NextHops nextHops;
    private final MeterRegistry registry;
    // postern.routing.results by outcome label: resolved once, not looked up per recipient.
    private final Map<String, Counter> resultCounters = new ConcurrentHashMap<>();
    private final ExecutorService coordinator;
    private final ExecutorService io;

    /** Local mailboxes written in process (roles {@code all} and {@code delivery}). */
    public RoutingDeliveryAgent(Directory directory, LocalDelivery local, Optional<DeliveryAgent> remote,
                                DeliveryConfig config, MeterRegistry registry) {
        this(directory, Optional.of(local), Optional.empty(), remote, NextHops.none(), config, registry);
    }

    /** Local mailboxes written in process; relay domains and home servers through {@code nextHops}. */
    public RoutingDeliveryAgent(Directory directory, LocalDelivery local, Optional<DeliveryAgent> remote,
                                NextHops nextHops, DeliveryConfig config, MeterRegistry registry) {
        this(directory, Optional.of(local), Optional.empty(), remote, nextHops, config, registry);
    }

    /** Local mailboxes handed to delivery workers over LMTP (role {@code front}). */
    public static RoutingDeliveryAgent withLmtpHandOff(Directory directory, DeliveryAgent lmtp,
                                                       Optional<DeliveryAgent> remote, DeliveryConfig config,
                                                       MeterRegistry registry) {
        return withLmtpHandOff(directory, lmtp, remote, NextHops.none(), config, registry);
    }

    /** Local mailboxes to LMTP delivery workers; relay domains and home servers through {@code nextHops}. */
    public static RoutingDeliveryAgent withLmtpHandOff(Directory directory, DeliveryAgent lmtp,
                                                       Optional<DeliveryAgent> remote, NextHops nextHops,
                                                       DeliveryConfig config, MeterRegistry registry) {
        return new RoutingDeliveryAgent(directory, Optional.empty(), Optional.of(lmtp), remote, nextHops, config,
                registry);
    }

    private RoutingDeliveryAgent(Directory directory, Optional<LocalDelivery> mda, Optional<DeliveryAgent> lmtp,
                                 Optional<DeliveryAgent> remote, NextHops nextHops, DeliveryConfig config,
                                 MeterRegistry registry) {
        this.expander = new RecipientExpander(directory, config.maxExpansionDepth(), config.maxExpandedRecipients(),
                nextHops.router());
        this.mda = mda;
        this.lmtp = lmtp;
        this.remote = remote;
        this.nextHops = nextHops;
        this.registry = registry;
        // Directory look-ups and waiting are cheap on virtual threads; fsyncs are bounded by the I/O pool.
        this.coordinator = Threads.virtual("routing");
        this.io = Threads.fixed("delivery-io", config.threads());
    }

    @Override
    public CompletableFuture<List<DeliveryResult>> deliver(QueuedMessage message, List<EnvelopeRecipient> recipients) {
        List<EnvelopeRecipient> copy = List.copyOf(recipients);
        return CompletableFuture.supplyAsync(() -> route(message, copy), coordinator).exceptionally(e -> {
            // A bug or an unexpected directory exception must not lose mail: try again later.
            LogLine.event("routing-failed").add("queue_id", message.queueId()).add("error", e.toString()).error(LOG);
            return copy.stream().map(r -> DeliveryResult.deferred(r, EnhancedStatus.SYSTEM_TEMPORARY, "internal routing error")).toList();
        });
    }

    /**
     * Delivers now only when every recipient expands to local mailboxes alone (no remote target, no
     * next hop, no problem), through the local transport: written here by the MDA, or handed to the
     * delivery workers in one LMTP transaction (role {@code front}); anything else, and a hand-off
     * that reached no worker, is left to the queue untouched (empty). Starts on the I/O pool: a
     * message for one mailbox is expanded and written on one I/O worker, so that the session's
     * commit costs one hand-off there and one back; several mailboxes are written in parallel on
     * the pool. No thread waits for a shared spool sync: the results follow from the copies'
     * futures, completed by the thread that ran the sync. A front (no MDA) plans and hands over on
     * one virtual thread, which waits for the network.
     */
    @Override
    public CompletableFuture<Optional<List<DeliveryResult>>> deliverIfLocal(QueuedMessage message,
                                                                            List<EnvelopeRecipient> recipients) {
        if (mda.isEmpty() && lmtp.isEmpty()) {
            return CompletableFuture.completedFuture(Optional.empty());
        }
        List<EnvelopeRecipient> copy = List.copyOf(recipients);
        return CompletableFuture.supplyAsync(() -> {
            Plan plan = plan(message, copy, false);
            if (!plan.allLocal()) {
                return CompletableFuture.completedFuture(Optional.<List<DeliveryResult>>empty());
            }
            if (mda.isPresent()) {
                // One mailbox is written here, on this I/O worker; several in parallel on the pool. Nobody waits
                // for the sync: the results follow when the copies are durable.
                return localResults(message, plan, true).thenApply(
                        locals -> Optional.of(results(message, plan, locals, Map.of(), Map.of())));
            }
            return CompletableFuture.completedFuture(handOverBeforeReply(message, plan)); // already on a virtual thread
        }, mda.isPresent() ? io : coordinator).thenCompose(planned -> planned).exceptionally(e -> {
            // Something may have been written: deferred, so the queue offers it again as a repeat.
            LogLine.event("routing-failed").add("queue_id", message.queueId()).add("error", e.toString()).error(LOG);
            return Optional.of(copy.stream()
                    .map(r -> DeliveryResult.deferred(r, EnhancedStatus.SYSTEM_TEMPORARY, "internal routing error")).toList());
        });
    }

    /** The all-local {@code plan} handed to the delivery workers over LMTP before the reply. */
    private Optional<List<DeliveryResult>> handOverBeforeReply(QueuedMessage message, Plan plan) {
        Map<String, String> byAddress = plan.mailboxByAddress();
        Optional<List<DeliveryResult>> handed = lmtp.get().deliverBeforeReply(message,
                List.copyOf(plan.localRecipients().values()));
        if (handed.isEmpty()) {
            return Optional.empty();
        }
        Map<String, DeliveryResult> locals = keyed(handed.get(), plan.localRecipients().values(),
                a -> byAddress.get(a.key()));
        return Optional.of(results(message, plan, locals, Map.of(), Map.of()));
    }

    /**
     * Every recipient's expansion and its distinct targets: local mailboxes (by mailbox key, with
     * the recipient each travels as), remote addresses, and next hops with their addresses.
     */
    private record Plan(List<EnvelopeRecipient> recipients, Map<EnvelopeRecipient, Expansion> expansions, Map<String, Expansion.LocalTarget> locals,
                        Map<String, EnvelopeRecipient> localRecipients, Map<String, EnvelopeRecipient> remotes,
                        Map<NextHop, Map<String, EnvelopeRecipient>> relayed) {
        /** Local mailboxes only, for every recipient, and nothing wrong with any. */
        boolean allLocal() {
            return remotes.isEmpty() && relayed.isEmpty() && expansions.values().stream()
                    .allMatch(e -> !e.local().isEmpty() && e.remote().isEmpty() && e.relayed().isEmpty()
                            && e.problems().isEmpty());
        }

        /** The mailbox key of each local recipient's address, for an LMTP agent's results. */
        Map<String, String> mailboxByAddress() {
            Map<String, String> byAddress = new HashMap<>();
            localRecipients.forEach((mailboxKey, r) -> byAddress.put(r.address().key(), mailboxKey));
            return byAddress;
        }
    }

    /** {@code logHops}: log each next hop chosen (once per delivery, not for the look before the reply). */
    private Plan plan(QueuedMessage message, List<EnvelopeRecipient> recipients, boolean logHops) {
        Map<EnvelopeRecipient, Expansion> expansions = new LinkedHashMap<>();
        Map<String, Expansion.LocalTarget> locals = new LinkedHashMap<>();
        Map<String, EnvelopeRecipient> localRecipients = new LinkedHashMap<>();
        Map<String, EnvelopeRecipient> remotes = new LinkedHashMap<>();
        Map<NextHop, Map<String, EnvelopeRecipient>> relayed = new LinkedHashMap<>();
        Optional<MailAddress> sender = verifiedSender(message.envelope());
        for (EnvelopeRecipient recipient : recipients) {
            Expansion expansion = expansions.computeIfAbsent(recipient, r -> expander.expand(r.address(), sender));
            for (Expansion.LocalTarget target : expansion.local()) {
                String key = target.mailbox().address().key();
                if (locals.putIfAbsent(key, target) == null) {
                    localRecipients.put(key, derived(target.deliveredTo(), recipient));
                }
            }
            for (MailAddress address : expansion.remote()) {
                remotes.putIfAbsent(address.key(), derived(address, recipient));
            }
            for (Expansion.RelayedTarget target : expansion.relayed()) {
                relayed.computeIfAbsent(target.route().hop(), h -> new LinkedHashMap<>())
                        .putIfAbsent(target.address().key(), derived(target.address(), recipient));
                if (logHops) {
                    LogLine.event("next-hop").add("queue_id", message.queueId()).add("rcpt", target.address())
                            .add("next_hop", target.route().hop()).add("why", target.route().reason()).info(LOG);
                }
            }
        }
        return new Plan(recipients, expansions, locals, localRecipients, remotes, relayed);
    }

    private List<DeliveryResult> route(QueuedMessage message, List<EnvelopeRecipient> recipients) {
        Plan plan = plan(message, recipients, true);
        CompletableFuture<Map<String, DeliveryResult>> local = localResults(message, plan, false);
        CompletableFuture<Map<String, DeliveryResult>> onward = nextHopResults(message, plan.relayed());
        Map<String, DeliveryResult> remoteResults = handOff(remote, "no outbound transport configured", message,
                List.copyOf(plan.remotes().values()), a -> a.key());
        return results(message, plan, local.join(), remoteResults, onward.join());
    }

    /** One result per envelope recipient, in envelope order, counted and logged. */
    private List<DeliveryResult> results(QueuedMessage message, Plan plan, Map<String, DeliveryResult> localResults,
                                         Map<String, DeliveryResult> remoteResults,
                                         Map<String, DeliveryResult> onwardResults) {
        List<DeliveryResult> results = new ArrayList<>();
        for (EnvelopeRecipient recipient : plan.recipients()) {
            DeliveryResult result = combine(recipient, plan.expansions().get(recipient), localResults, remoteResults,
                    onwardResults);
            resultCounters.computeIfAbsent(result.label(),
                    label -> registry.counter("postern.routing.results", "outcome", label)).increment();
            logRouted(message, recipient, result);
            results.add(result);
        }
        return results;
    }

    /**
     * One {@code event=routed} line per envelope recipient: at INFO when it was not delivered
     * (deferred, failed), at DEBUG when it was, since the queue logs a delivered recipient's
     * {@code event=delivery ... status=sent} line already (docs/queue.md).
     */
    private static void logRouted(QueuedMessage message, EnvelopeRecipient recipient, DeliveryResult result) {
        boolean delivered = result.isDelivered();
        if (delivered && !LOG.isDebugEnabled()) {
            return;
        }
        LogLine line = LogLine.event("routed").add("queue_id", message.queueId()).add("rcpt", recipient.address())
                .add("status", result.label().toUpperCase(Locale.ROOT)).add("code", result.status())
                .add("detail", result.diagnostic());
        if (delivered) {
            line.debug(LOG);
        } else {
            line.info(LOG);
        }
    }

    /**
     * The sender a restricted group may believe: that of an authenticated session, whose MAIL FROM
     * the front end checked against the login. Anyone else's MAIL FROM is a claim, and a restricted
     * group, nested at any depth, refuses it as the front end refuses it at RCPT.
     */
    static Optional<MailAddress> verifiedSender(Envelope envelope) {
        return envelope.trace().authenticatedUser().isPresent() ? envelope.sender() : Optional.empty();
    }

    /** A target as a recipient of its own, keeping the DSN request and original recipient of the envelope one. */
    private static EnvelopeRecipient derived(MailAddress target, EnvelopeRecipient from) {
        return new EnvelopeRecipient(target, from.dsnNotify(),
                from.originalRecipient().or(() -> Optional.of(OriginalRecipient.of(from.address()))));
    }

    /**
     * Results keyed by mailbox: written here in parallel on the I/O pool (a single one on the
     * calling thread when {@code onIoWorker}: it is an I/O worker already), or handed to LMTP in one call.
     */
    private CompletableFuture<Map<String, DeliveryResult>> localResults(QueuedMessage message, Plan plan,
                                                                        boolean onIoWorker) {
        Map<String, Expansion.LocalTarget> locals = plan.locals();
        Map<String, EnvelopeRecipient> recipients = plan.localRecipients();
        if (locals.isEmpty()) {
            return CompletableFuture.completedFuture(Map.of());
        }
        if (mda.isEmpty()) {
            Map<String, String> byAddress = plan.mailboxByAddress();
            return CompletableFuture.supplyAsync(() -> handOff(lmtp, "no local transport configured", message,
                    List.copyOf(recipients.values()), a -> byAddress.get(a.key())), coordinator);
        }
        Map<String, CompletableFuture<DeliveryResult>> futures = new LinkedHashMap<>();
        Optional<DeliveryKey> once = DeliveryKey.of(message);
        Executor writer = onIoWorker && locals.size() == 1 ? Runnable::run : io;
        locals.forEach((key, target) -> futures.put(key, CompletableFuture.supplyAsync(() -> mda.get().deliverAsync(
                message.envelope().sender(), message.content(), target.mailbox(), target.deliveredTo(), once), writer)
                .thenCompose(written -> written).thenApply(outcome -> asResult(recipients.get(key), outcome))));
        return CompletableFuture.allOf(futures.values().toArray(CompletableFuture[]::new)).thenApply(done -> {
            Map<String, DeliveryResult> out = new HashMap<>();
            futures.forEach((key, future) -> out.put(key, future.join()));
            return out;
        });
    }

    /** Results keyed by address: each next hop's recipients in one hand-off, the hops in parallel. */
    private CompletableFuture<Map<String, DeliveryResult>> nextHopResults(
            QueuedMessage message, Map<NextHop, Map<String, EnvelopeRecipient>> relayed) {
        List<CompletableFuture<Map<String, DeliveryResult>>> parts = new ArrayList<>();
        relayed.forEach((hop, recipients) -> parts.add(CompletableFuture.supplyAsync(() -> handOff(
                nextHops.agents().map(agents -> agents.apply(hop)), "no transport to next hop " + hop, message,
                List.copyOf(recipients.values()), MailAddress::key), coordinator)));
        return CompletableFuture.allOf(parts.toArray(CompletableFuture[]::new)).thenApply(done -> {
            Map<String, DeliveryResult> out = new HashMap<>();
            parts.forEach(part -> out.putAll(part.join()));
            return out;
        });
    }

    private static DeliveryResult asResult(EnvelopeRecipient target, LocalOutcome outcome) {
        return switch (outcome) {
            case LocalOutcome.Delivered d -> DeliveryResult.delivered(target, "delivered to mailbox", Optional.empty());
            case LocalOutcome.PermFailed p -> DeliveryResult.failed(target, p.status(), p.reason());
            case LocalOutcome.TempFailed t -> DeliveryResult.deferred(target, t.status(), t.reason());
        };
    }

    /**
     * Hands {@code targets} to {@code agent} and keys its results with {@code key}; a missing agent,
     * a failed call or a missing result is a deferral, never a bounce.
     */
    private static Map<String, DeliveryResult> handOff(Optional<DeliveryAgent> agent, String absent,
                                                       QueuedMessage message, List<EnvelopeRecipient> targets,
                                                       java.util.function.Function<MailAddress, String> key) {
        Map<String, DeliveryResult> out = new HashMap<>();
        if (targets.isEmpty()) {
            return out;
        }
        if (agent.isEmpty()) {
            targets.forEach(t -> out.put(key.apply(t.address()), DeliveryResult.deferred(t, EnhancedStatus.ROUTING_TEMPORARY, absent)));
            return out;
        }
        try {
            return keyed(agent.get().deliver(message, targets).join(), targets, key);
        } catch (RuntimeException e) {
            LogLine.event("hand-off-failed").add("queue_id", message.queueId()).add("error", e.getMessage()).warn(LOG);
            return keyed(List.of(), targets, key);
        }
    }

    /** An agent's results keyed with {@code key}; a target it gave no result for is deferred. */
    private static Map<String, DeliveryResult> keyed(List<DeliveryResult> results,
                                                     java.util.Collection<EnvelopeRecipient> targets,
                                                     java.util.function.Function<MailAddress, String> key) {
        Map<String, DeliveryResult> out = new HashMap<>();
        for (DeliveryResult result : results) {
            String k = key.apply(result.recipient().address());
            if (k != null) {
                out.putIfAbsent(k, result);
            }
        }
        for (EnvelopeRecipient t : targets) {
            out.putIfAbsent(key.apply(t.address()), DeliveryResult.deferred(t, EnhancedStatus.ROUTING_TEMPORARY, "delivery gave no result"));
        }
        return out;
    }

    private static DeliveryResult combine(EnvelopeRecipient recipient, Expansion expansion,
                                          Map<String, DeliveryResult> locals, Map<String, DeliveryResult> remotes,
                                          Map<String, DeliveryResult> onward) {
        Optional<DeliveryResult> permanent = Optional.empty();
        Optional<DeliveryResult> temporary = Optional.empty();
        for (Expansion.Problem problem : expansion.problems()) {
            switch (problem) {
                case Expansion.Problem.Permanent p -> permanent = permanent.or(() -> Optional.of(
                        DeliveryResult.failed(recipient, p.enhancedCode(), p.address() + ": " + p.reason())));
                // A directory that cannot answer is not the destination's fault (no backoff, retried
                // when it answers again); anything else temporary (an unreadable home server) is.
                case Expansion.Problem.Temporary t -> temporary = temporary.or(() -> Optional.of(
                        t.enhancedCode().equals(EnhancedStatus.DIRECTORY_UNAVAILABLE)
                                ? DeliveryResult.directoryUnavailable(recipient, t.address() + ": " + t.reason())
                                : DeliveryResult.deferred(recipient, t.enhancedCode(), t.address() + ": " + t.reason())));
            }
        }
        List<DeliveryResult> targets = new ArrayList<>();
        expansion.local().forEach(t -> targets.add(locals.get(t.mailbox().address().key())));
        expansion.remote().forEach(a -> targets.add(remotes.get(a.key())));
        expansion.relayed().forEach(t -> targets.add(onward.get(t.address().key())));
        // One target (a plain mailbox or remote address): its own words, verbatim, so that the log and
        // the DSN's Diagnostic-Code carry the remote SMTP reply. Several: each problem names its target.
        boolean single = targets.size() == 1 && expansion.problems().isEmpty();
        int delivered = 0;
        Optional<String> remoteMta = Optional.empty();
        for (DeliveryResult result : targets) {
            String text = single ? result.diagnostic() : result.recipient().address() + ": " + result.diagnostic();
            switch (result.outcome()) {
                case RecipientOutcome.Succeeded s -> {
                    delivered++;
                    remoteMta = remoteMta.or(result::remoteMta);
                }
                case RecipientOutcome.Failed f -> permanent = permanent.or(() -> Optional.of(result.forRecipient(recipient, text)));
                case RecipientOutcome.Deferred d -> temporary = temporary.or(() -> Optional.of(result.forRecipient(recipient, text)));
            }
        }
        if (permanent.isPresent()) {
            return permanent.get();
        }
        if (temporary.isPresent()) {
            return temporary.get();
        }
        if (single) {
            return DeliveryResult.delivered(recipient, targets.getFirst().diagnostic(), remoteMta);
        }
        return DeliveryResult.delivered(recipient, "delivered to " + delivered + " target(s)", remoteMta);
    }

    @Override
    public void close() {
        coordinator.shutdown();
        io.shutdown();
        try {
            if (!io.awaitTermination(10, TimeUnit.SECONDS)) {
                io.shutdownNow();
            }
            coordinator.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            io.shutdownNow();
        }
    }
}
