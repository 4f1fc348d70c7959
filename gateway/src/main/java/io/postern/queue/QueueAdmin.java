package io.postern.queue;

import io.postern.config.QueueConfig;
import io.postern.mail.EnhancedStatus;
import io.postern.mail.Envelope;
import io.postern.mail.MailAddress;
import io.postern.observability.LogLine;
import io.postern.queue.MailQueue.Result;
import io.postern.queue.MailQueue.Summary;
import io.postern.queue.QueueRecord.RecipientState;
import io.postern.queue.QueueRecord.Status;
import io.postern.queue.QueueRecordCodec.CorruptRecordException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The operator's operations on the queue (list, show, flush, hold, release, delete, bounce), online
 * or on a stopped node's directory. A command on one message runs while no attempt can touch it
 * ({@link DeliveryScheduler#exclusively}), or answers {@link Result#BUSY}. Thread-safe.
 */
final class QueueAdmin {
    private static final Logger LOG = LoggerFactory.getLogger(MailQueue.class);

    private final QueueConfig config;
    private final Clock clock;
    private final QueueFiles files;
    private final QueueStore store;
    private final DeliveryScheduler scheduler;
    private final Bookkeeping bookkeeping;
    private final boolean online;

    QueueAdmin(QueueConfig config, Clock clock, QueueFiles files, QueueStore store, DeliveryScheduler scheduler,
               Bookkeeping bookkeeping, boolean online) {
        this.config = config;
        this.clock = clock;
        this.files = files;
        this.store = store;
        this.scheduler = scheduler;
        this.bookkeeping = bookkeeping;
        this.online = online;
    }

    public List<Summary> list(int limit, AtomicInteger more) {
        List<Summary> out = new ArrayList<>();
        try {
            files.forEachEnvelope(id -> {
                if (out.size() >= limit) {
                    more.incrementAndGet();
                    return;
                }
                current(id).ifPresent(r -> out.add(summary(r)));
            });
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        out.sort(java.util.Comparator.comparing(Summary::id));
        return out;
    }

    private Summary summary(QueueRecord r) {
        String state = r.held() ? "hold" : scheduler.isActive(r.id()) ? "active" : r.attempts() > 0 ? "deferred"
                : "incoming";
        String problem = r.pending().stream().map(RecipientState::diagnostic).filter(d -> !d.isEmpty()).findFirst()
                .orElse("");
        return new Summary(r.queueId(), r.contentSize(), r.arrival(), state,
                r.envelope().sender().map(MailAddress::toString).orElse(""), r.recipients().size(), r.pending().size(),
                problem);
    }

    /** The stored facts about one message (never its content), or empty. */
    public Optional<String> show(String queueId) {
        long id = QueueId.parse(queueId);
        if (id < 0) {
            return Optional.empty();
        }
        return current(id).map(r -> {
            StringBuilder out = new StringBuilder();
            Summary s = summary(r);
            Envelope e = r.envelope();
            out.append("id: ").append(r.queueId()).append('\n');
            out.append("state: ").append(s.state()).append('\n');
            out.append("origin: ").append(r.origin().name().toLowerCase(java.util.Locale.ROOT)).append('\n');
            out.append("size: ").append(r.contentSize()).append('\n');
            out.append("arrival: ").append(r.arrival()).append('\n');
            out.append("attempts: ").append(r.attempts()).append('\n');
            out.append("next-attempt: ").append(r.nextAttempt()).append('\n');
            out.append("expires: ").append(r.arrival().plus(config.maxLifetime())).append('\n');
            out.append("sender: <").append(s.sender()).append(">\n");
            e.dsnReturn().ifPresent(ret -> out.append("ret: ").append(ret).append('\n'));
            e.dsnEnvelopeId().ifPresent(envid -> out.append("envid: ").append(DeliveryReport.clean(envid.value())).append('\n'));
            Envelope.SessionTrace t = e.trace();
            out.append("client: ").append(DeliveryReport.clean(t.clientName())).append(" [")
                    .append(DeliveryReport.clean(t.clientAddress())).append("] helo=")
                    .append(DeliveryReport.clean(t.heloName())).append(" protocol=").append(t.protocol()).append('\n');
            t.authenticatedUser().ifPresent(u -> out.append("auth: ").append(DeliveryReport.clean(u)).append('\n'));
            t.tlsCipher().ifPresent(c -> out.append("tls: ").append(c).append('\n'));
            for (RecipientState rs : r.recipients()) {
                out.append("recipient: <").append(rs.recipient().address()).append("> ")
                        .append(rs.status().name().toLowerCase(java.util.Locale.ROOT));
                rs.code().ifPresent(code -> out.append(' ').append(code));
                rs.remoteMta().ifPresent(m -> out.append(" relay=").append(DeliveryReport.clean(m)));
                if (!rs.diagnostic().isEmpty()) {
                    out.append(" (").append(DeliveryReport.clean(rs.diagnostic())).append(')');
                }
                out.append('\n');
            }
            return out.toString();
        });
    }

    /** Every message is tried now (destination backoffs are reset). Returns how many were made due. */
    public int flush() {
        if (online) {
            scheduler.flush();
            return -1;
        }
        AtomicInteger count = new AtomicInteger();
        Instant now = clock.instant();
        try {
            files.forEachEnvelope(id -> current(id).filter(r -> !r.held()).ifPresent(r -> {
                store.rewrite(r.withSchedule(r.attempts(), now)).join();
                count.incrementAndGet();
            }));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return count.get();
    }

    public Result hold(String queueId) {
        return change(queueId, r -> {
            if (!r.held()) {
                store.rewrite(r.withHeld(true, r.nextAttempt())).join();
                bookkeeping.countHold(1);
                LOG.info("event=hold id={}", r.queueId());
            }
            return Next.NONE;
        });
    }

    public Result release(String queueId) {
        Instant now = clock.instant();
        return change(queueId, r -> {
            if (!r.held()) {
                return Next.NONE;
            }
            store.rewrite(r.withHeld(false, now)).join();
            bookkeeping.countHold(-1);
            LOG.info("event=released id={}", r.queueId());
            return Next.at(now);
        });
    }

    public Result delete(String queueId) {
        return change(queueId, r -> {
            store.remove(r.id()).join();
            bookkeeping.forget(r.id());
            bookkeeping.countRemoved(r);
            LogLine.event("deleted").add("id", r.queueId())
                    .add("from", "<" + r.envelope().sender().map(MailAddress::toString).orElse("") + ">")
                    .add("by", "operator").info(LOG);
            return Next.NONE;
        });
    }

    /** Fails every pending recipient now (DSN to the sender as for any failure) and removes the message. */
    public Result bounce(String queueId) {
        Instant now = clock.instant();
        return change(queueId, r -> {
            List<RecipientState> states = new ArrayList<>();
            for (RecipientState s : r.recipients()) {
                states.add(s.status() == Status.PENDING
                        ? s.with(Status.FAILED, EnhancedStatus.RETURNED_BY_OPERATOR, "returned to sender by the mail system administrator",
                        s.remoteMta()) : s);
            }
            LOG.info("event=bounced id={} by=operator", r.queueId());
            return bookkeeping.finish(r.withRecipients(states), now);
        });
    }

    private interface Change {
        Next apply(QueueRecord record);
    }

    private Result change(String queueId, Change change) {
        long id = QueueId.parse(queueId);
        if (id < 0) {
            return Result.NOT_FOUND;
        }
        AtomicReference<Result> result = new AtomicReference<>(Result.NOT_FOUND);
        AtomicReference<Next> next = new AtomicReference<>(Next.NONE);
        boolean ran = scheduler.exclusively(id, () -> current(id).ifPresent(r -> {
            try {
                next.set(change.apply(r));
                result.set(Result.DONE);
            } catch (RuntimeException e) {
                LogLine.event("operation-failed").add("id", queueId).add("error", e.toString()).warn(LOG);
                result.set(Result.FAILED);
            }
        }));
        if (!ran) {
            return Result.BUSY;
        }
        if (online) {
            scheduler.schedule(next.get(), id);
        }
        return result.get();
    }

    private Optional<QueueRecord> current(long id) {
        Optional<QueueRecord> inMemory = bookkeeping.unrecorded(id);
        if (inMemory.isPresent()) {
            return inMemory;
        }
        try {
            return store.read(id);
        } catch (IOException | CorruptRecordException e) {
            return Optional.empty();
        }
    }
}
