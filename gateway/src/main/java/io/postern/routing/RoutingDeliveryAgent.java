package io.postern.routing;

import io.micrometer.core.instrument.MeterRegistry;
import io.postern.config.DeliveryConfig;
import io.postern.delivery.LocalDelivery;
import io.postern.delivery.LocalOutcome;
import io.postern.directory.Directory;
import io.postern.mail.DeliveryAgent;
import io.postern.mail.DeliveryResult;
import io.postern.mail.EnvelopeRecipient;
import io.postern.mail.MailAddress;
import io.postern.mail.QueuedMessage;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The queue's {@link DeliveryAgent}: expands every envelope recipient, writes each distinct local
 * mailbox once through {@link LocalDelivery} (on a bounded pool of I/O threads it owns), hands
 * each distinct remote address once to the outbound agent, and answers exactly one
 * {@link DeliveryResult} per envelope recipient: delivered when all its targets were, failed when
 * any failed permanently, deferred otherwise. Without an outbound agent remote targets are
 * deferred with 4.4.0. Thread-safe; {@link #close()} stops its threads.
 *
 * <p>A recipient whose targets were partly delivered and partly deferred is retried as a whole by
 * the queue, so the delivered targets may get a second copy on retry (as with Postfix's local(8)).
 *
 * <p>Metrics: {@code postern.routing.results} (counter per envelope recipient, tag {@code outcome}).
 */
public final class RoutingDeliveryAgent implements DeliveryAgent, AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(RoutingDeliveryAgent.class);

    private final RecipientExpander expander;
    private final LocalDelivery local;
    private final Optional<DeliveryAgent> remote;
    private final MeterRegistry registry;
    private final ExecutorService coordinator;
    private final ExecutorService io;

    public RoutingDeliveryAgent(Directory directory, LocalDelivery local, Optional<DeliveryAgent> remote,
                                DeliveryConfig config, MeterRegistry registry) {
        this.expander = new RecipientExpander(directory, config.maxExpansionDepth(), config.maxExpandedRecipients());
        this.local = local;
        this.remote = remote;
        this.registry = registry;
        // Directory look-ups and waiting are cheap on virtual threads; fsyncs are bounded by the I/O pool.
        this.coordinator = Executors.newThreadPerTaskExecutor(Thread.ofVirtual().name("routing-", 0).factory());
        AtomicInteger n = new AtomicInteger();
        this.io = Executors.newFixedThreadPool(config.threads(), r -> {
            Thread t = new Thread(r, "delivery-io-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
    }

    @Override
    public CompletableFuture<List<DeliveryResult>> deliver(QueuedMessage message, List<EnvelopeRecipient> recipients) {
        List<EnvelopeRecipient> copy = List.copyOf(recipients);
        return CompletableFuture.supplyAsync(() -> route(message, copy), coordinator).exceptionally(e -> {
            // A bug or an unexpected directory exception must not lose mail: try again later.
            LOG.error("event=routing-failed queue_id={} error=\"{}\"", message.queueId(), e.toString());
            return copy.stream().map(r -> DeliveryResult.deferred(r, "4.3.0", "internal routing error")).toList();
        });
    }

    private List<DeliveryResult> route(QueuedMessage message, List<EnvelopeRecipient> recipients) {
        Map<EnvelopeRecipient, Expansion> expansions = new LinkedHashMap<>();
        Map<String, Expansion.LocalTarget> locals = new LinkedHashMap<>();
        Map<String, EnvelopeRecipient> remotes = new LinkedHashMap<>();
        for (EnvelopeRecipient recipient : recipients) {
            Expansion expansion = expansions.computeIfAbsent(recipient, r -> expander.expand(r.address()));
            for (Expansion.LocalTarget target : expansion.local()) {
                locals.putIfAbsent(target.mailbox().address().key(), target);
            }
            for (MailAddress address : expansion.remote()) {
                remotes.putIfAbsent(address.key(), new EnvelopeRecipient(address, recipient.dsnNotify(),
                        recipient.originalRecipient().or(() -> Optional.of("rfc822;" + recipient.address()))));
            }
        }
        Map<String, CompletableFuture<LocalOutcome>> localFutures = new HashMap<>();
        locals.forEach((key, target) -> localFutures.put(key, CompletableFuture.supplyAsync(
                () -> local.deliver(message.envelope().sender(), message.content(), target.mailbox(),
                        target.deliveredTo()), io)));
        Map<String, DeliveryResult> remoteResults = remoteResults(message, List.copyOf(remotes.values()));

        List<DeliveryResult> results = new ArrayList<>();
        for (EnvelopeRecipient recipient : recipients) {
            DeliveryResult result = combine(recipient, expansions.get(recipient), localFutures, remoteResults);
            registry.counter("postern.routing.results", "outcome",
                    result.status().name().toLowerCase(java.util.Locale.ROOT)).increment();
            LOG.info("event=routed queue_id={} rcpt=\"{}\" status={} code={} detail=\"{}\"", message.queueId(),
                    recipient.address(), result.status(), result.enhancedCode(), result.diagnostic());
            results.add(result);
        }
        return results;
    }

    private Map<String, DeliveryResult> remoteResults(QueuedMessage message, List<EnvelopeRecipient> targets) {
        Map<String, DeliveryResult> out = new HashMap<>();
        if (targets.isEmpty()) {
            return out;
        }
        if (remote.isEmpty()) {
            targets.forEach(t -> out.put(t.address().key(),
                    DeliveryResult.deferred(t, "4.4.0", "no outbound transport configured")));
            return out;
        }
        try {
            for (DeliveryResult result : remote.get().deliver(message, targets).join()) {
                out.putIfAbsent(result.recipient().address().key(), result);
            }
        } catch (RuntimeException e) {
            LOG.warn("event=outbound-failed queue_id={} error=\"{}\"", message.queueId(), e.getMessage());
        }
        for (EnvelopeRecipient t : targets) {
            out.putIfAbsent(t.address().key(), DeliveryResult.deferred(t, "4.4.0", "outbound delivery gave no result"));
        }
        return out;
    }

    private static DeliveryResult combine(EnvelopeRecipient recipient, Expansion expansion,
                                          Map<String, CompletableFuture<LocalOutcome>> locals,
                                          Map<String, DeliveryResult> remotes) {
        Optional<DeliveryResult> permanent = Optional.empty();
        Optional<DeliveryResult> temporary = Optional.empty();
        for (Expansion.Problem problem : expansion.problems()) {
            switch (problem) {
                case Expansion.Problem.Permanent p -> permanent = permanent.or(() -> Optional.of(
                        DeliveryResult.failed(recipient, p.enhancedCode(), p.address() + ": " + p.reason())));
                case Expansion.Problem.Temporary t -> temporary = temporary.or(() -> Optional.of(
                        DeliveryResult.deferred(recipient, t.enhancedCode(), t.address() + ": " + t.reason())));
            }
        }
        int delivered = 0;
        for (Expansion.LocalTarget target : expansion.local()) {
            LocalOutcome outcome = locals.get(target.mailbox().address().key()).join();
            String who = target.deliveredTo().toString();
            switch (outcome) {
                case LocalOutcome.Delivered d -> delivered++;
                case LocalOutcome.PermFailed p -> permanent = permanent.or(() -> Optional.of(
                        DeliveryResult.failed(recipient, p.enhancedCode(), who + ": " + p.reason())));
                case LocalOutcome.TempFailed t -> temporary = temporary.or(() -> Optional.of(
                        DeliveryResult.deferred(recipient, t.enhancedCode(), who + ": " + t.reason())));
            }
        }
        Optional<String> remoteMta = Optional.empty();
        for (MailAddress address : expansion.remote()) {
            DeliveryResult result = remotes.get(address.key());
            switch (result.status()) {
                case DELIVERED -> {
                    delivered++;
                    remoteMta = remoteMta.or(result::remoteMta);
                }
                case FAILED -> permanent = permanent.or(() -> Optional.of(new DeliveryResult(recipient,
                        DeliveryResult.Status.FAILED, result.enhancedCode(), address + ": " + result.diagnostic(),
                        result.remoteMta())));
                case DEFERRED -> temporary = temporary.or(() -> Optional.of(
                        DeliveryResult.deferred(recipient, result.enhancedCode(), address + ": " + result.diagnostic())));
            }
        }
        if (permanent.isPresent()) {
            return permanent.get();
        }
        if (temporary.isPresent()) {
            return temporary.get();
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
