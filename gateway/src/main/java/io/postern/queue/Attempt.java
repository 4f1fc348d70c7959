package io.postern.queue;

import io.postern.config.QueueConfig;
import io.postern.mail.DeliveryAgent;
import io.postern.mail.DeliveryResult;
import io.postern.mail.EnhancedStatus;
import io.postern.mail.EnvelopeRecipient;
import io.postern.mail.QueuedMessage;
import io.postern.queue.DestinationTable.Admission;
import io.postern.queue.QueueRecord.RecipientState;
import io.postern.queue.QueueRecord.Status;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;

/**
 * One delivery attempt of one message: read the envelope; expire it if too old; split the pending
 * recipients by domain; call the {@link DeliveryAgent} for each domain the {@link DestinationTable}
 * admits; apply every result and record it durably before anything else (a crash after the
 * agent's answer and before that write re-offers the recipient, always marked
 * {@link QueuedMessage.Attempt#REPEAT}); then hand the record to {@link Bookkeeping} for DSNs and
 * the next due time. Thread-safe (no state of its own besides its collaborators).
 */
final class Attempt {
    /** How soon a message is looked at again when only some of its domains had a free slot. */
    private static final Duration SLOT_WAIT = Duration.ofSeconds(1);

    private final QueueConfig config;
    private final QueueStore store;
    private final Clock clock;
    private final DestinationTable destinations;
    private final Bookkeeping bookkeeping;
    private final DeliveryLog log;
    private final DirectoryWait directoryWait;
    /** Ids below this were accepted by an earlier process: their last attempt may have delivered unrecorded. */
    private final long firstIdOfThisRun;

    Attempt(QueueConfig config, QueueStore store, Clock clock, DestinationTable destinations, Bookkeeping bookkeeping,
            DeliveryLog log, DirectoryWait directoryWait, long firstIdOfThisRun) {
        this.config = config;
        this.store = store;
        this.clock = clock;
        this.destinations = destinations;
        this.bookkeeping = bookkeeping;
        this.log = log;
        this.directoryWait = directoryWait;
        this.firstIdOfThisRun = firstIdOfThisRun;
    }

    /**
     * Runs the heap entry {@code due}; {@code requeue} takes the ids a destination releases.
     * Returns what to schedule next for this message.
     */
    Next run(LongHeap.Due due, DeliveryAgent agent, Consumer<DestinationTable.Requeue> requeue) {
        Optional<QueueRecord> loaded = bookkeeping.load(due.id());
        if (loaded.isEmpty()) {
            return Next.NONE;
        }
        QueueRecord record = loaded.get();
        if (record.held() || !due.forced() && record.nextAttempt().toEpochMilli() != due.dueMillis()) {
            return Next.NONE; // on hold, or a stale entry: the current one is elsewhere in the heap
        }
        Instant now = clock.instant();
        if (record.done()) {
            return bookkeeping.finish(record, now);
        }
        if (!now.isBefore(expiry(record))) {
            return bookkeeping.finish(expire(record, now), now);
        }
        if (agent == null) {
            return Next.at(record.nextAttempt());
        }
        Map<String, List<EnvelopeRecipient>> byDomain = new LinkedHashMap<>();
        for (RecipientState r : record.pending()) {
            byDomain.computeIfAbsent(r.recipient().address().domain(), d -> new ArrayList<>()).add(r.recipient());
        }
        List<String> go = new ArrayList<>();
        long backoffUntil = Long.MAX_VALUE;
        String full = null;
        for (String domain : byDomain.keySet()) {
            switch (destinations.admit(domain, now.toEpochMilli())) {
                case Admission.Go ignored -> go.add(domain);
                case Admission.Full ignored -> full = full == null ? domain : full;
                case Admission.BackingOff b -> backoffUntil = Math.min(backoffUntil, b.untilMillis());
            }
        }
        if (go.isEmpty() && full != null) {
            destinations.park(full, record.id());
            return Next.NONE; // back when a slot of that domain frees; its envelope keeps the same due time
        }
        if (go.isEmpty()) {
            return Next.forced(backoffUntil);
        }
        Delivered delivered = deliver(record, agent, go, byDomain, requeue);
        Instant end = clock.instant();
        QueueRecord updated = delivered.record().withSchedule(record.attempts() + 1, record.nextAttempt());
        boolean skipped = go.size() < byDomain.size();
        Instant next = skipped ? end.plus(SLOT_WAIT) : end.plus(config.retryDelay(updated.attempts()));
        if (backoffUntil != Long.MAX_VALUE && go.size() + (full == null ? 0 : 1) < byDomain.size()) {
            Instant backoffEnd = Instant.ofEpochMilli(backoffUntil);
            next = next.isBefore(backoffEnd) ? next : backoffEnd;
        }
        updated = updated.withSchedule(updated.attempts(), next.isAfter(expiry(record)) ? expiry(record) : next);
        if (record.attempts() == 0) {
            bookkeeping.countFirstAttempt();
        }
        if (delivered.waitsForDirectory()) {
            directoryWait.add(record.id());
        } else {
            directoryWait.remove(record.id());
        }
        return bookkeeping.finish(updated, end);
    }

    private record Delivered(QueueRecord record, boolean waitsForDirectory) {
    }

    private Delivered deliver(QueueRecord record, DeliveryAgent agent, List<String> go,
                              Map<String, List<EnvelopeRecipient>> byDomain,
                              Consumer<DestinationTable.Requeue> requeue) {
        // A message from an earlier run may have been delivered in the instant before that run
        // died, and a retried one may have been partly delivered: the agent then looks first.
        QueuedMessage.Attempt kind = record.attempts() > 0 || record.id() < firstIdOfThisRun
                ? QueuedMessage.Attempt.REPEAT : QueuedMessage.Attempt.FIRST;
        QueuedMessage message = new QueuedMessage(record.queueId(), record.envelope(),
                store.content(record.id(), record.contentSize()), kind);
        List<CompletableFuture<List<DeliveryResult>>> calls = new ArrayList<>();
        for (String domain : go) {
            List<EnvelopeRecipient> recipients = byDomain.get(domain);
            CompletableFuture<List<DeliveryResult>> call;
            try {
                call = agent.deliver(message, recipients);
            } catch (RuntimeException e) {
                call = CompletableFuture.failedFuture(e);
            }
            calls.add(call.exceptionally(e -> recipients.stream()
                    .map(r -> DeliveryResult.deferred(r, EnhancedStatus.SYSTEM_TEMPORARY, "delivery failed: " + e))
                    .toList()));
        }
        QueueRecord updated = record;
        boolean waitsForDirectory = false;
        List<Integer> waiting = new ArrayList<>();
        for (int i = 0; i < go.size(); i++) {
            waiting.add(i);
        }
        while (!waiting.isEmpty()) {
            CompletableFuture.anyOf(waiting.stream().map(calls::get).toArray(CompletableFuture[]::new)).join();
            boolean anyDelivered = false;
            for (var it = waiting.iterator(); it.hasNext(); ) {
                int i = it.next();
                if (!calls.get(i).isDone()) {
                    continue;
                }
                it.remove();
                List<DeliveryResult> results = calls.get(i).join();
                requeue.accept(destinations.end(go.get(i), DestinationTable.Verdict.of(results),
                        clock.millis()));
                updated = apply(record, updated, results, clock.instant());
                anyDelivered |= results.stream().anyMatch(DeliveryResult::isDelivered);
                waitsForDirectory |= results.stream().anyMatch(DeliveryResult::isDirectoryDeferral);
            }
            if (anyDelivered && !waiting.isEmpty()) {
                // Other domains are still running: record these deliveries now, so a crash meanwhile
                // does not offer them again.
                bookkeeping.saveEarly(updated);
            }
        }
        return new Delivered(updated, waitsForDirectory);
    }

    private Instant expiry(QueueRecord record) {
        return record.arrival().plus(config.maxLifetime());
    }

    /** Applies the agent's results to {@code current}, logs one line and one measurement per recipient. */
    private QueueRecord apply(QueueRecord record, QueueRecord current, List<DeliveryResult> results, Instant now) {
        List<RecipientState> states = new ArrayList<>(current.recipients());
        Duration delay = Duration.between(record.arrival(), now);
        for (DeliveryResult result : results) {
            for (int i = 0; i < states.size(); i++) {
                RecipientState s = states.get(i);
                if (s.status() != Status.PENDING || !s.recipient().equals(result.recipient())) {
                    continue;
                }
                EnhancedStatus code = result.status();
                states.set(i, s.with(Status.of(result.outcome()), code, result.diagnostic(), result.remoteMta()));
                log.attempt(record, s.recipient().address(), result.remoteMta().orElse("none"), delay,
                        record.attempts() + 1, DeliveryLog.Label.of(result.outcome()), code, result.diagnostic());
                break;
            }
        }
        return current.withRecipients(states);
    }

    private QueueRecord expire(QueueRecord record, Instant now) {
        List<RecipientState> states = new ArrayList<>();
        Duration delay = Duration.between(record.arrival(), now);
        EnhancedStatus code = EnhancedStatus.EXPIRED;
        for (RecipientState s : record.recipients()) {
            if (s.status() == Status.PENDING) {
                String diag = "message expired after " + config.maxLifetime().toHours() + "h in the queue"
                        + (s.diagnostic().isEmpty() ? "" : "; last error: " + s.diagnostic());
                states.add(s.with(Status.FAILED, code, diag, s.remoteMta()));
                log.attempt(record, s.recipient().address(), s.remoteMta().orElse("none"), delay, record.attempts(),
                        DeliveryLog.Label.EXPIRED, code, diag);
            } else {
                states.add(s);
            }
        }
        directoryWait.remove(record.id());
        return record.withRecipients(states);
    }
}
