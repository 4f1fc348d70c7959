package io.postern.queue;

import io.micrometer.core.instrument.MeterRegistry;
import io.postern.config.QueueConfig;
import io.postern.mail.Envelope;
import io.postern.mail.EnvelopeRecipient;
import io.postern.mail.MailAddress;
import io.postern.mail.MessageOutput;
import io.postern.mail.SinkException;
import io.postern.observability.LogLine;
import io.postern.queue.QueueRecord.Origin;
import io.postern.queue.QueueRecord.RecipientState;
import io.postern.queue.QueueRecord.Status;
import java.io.IOException;
import java.io.OutputStream;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The bouncer: enqueues RFC 3464 DSNs for a record's unreported outcomes (failure, success when
 * asked, one delay notice) as new messages of the queue, and marks them reported. A failed notice
 * goes to the postmaster; a failed postmaster notice is dropped and logged. Backscatter limit: see
 * {@link #notifySender}. Thread-safe.
 */
final class Bouncer implements Bookkeeping.Notices {
    private static final Logger LOG = LoggerFactory.getLogger(MailQueue.class);

    private final QueueConfig config;
    private final String hostname;
    private final MailAddress postmaster;
    private final QueueStore store;
    private final QueueSink sink;
    private final NoticeRateLimiter noticeLimiter;
    private final MeterRegistry registry;

    Bouncer(QueueConfig config, String hostname, MailAddress postmaster, QueueStore store, QueueSink sink,
            MeterRegistry registry, Clock clock) {
        this.config = config;
        this.hostname = hostname;
        this.postmaster = postmaster;
        this.store = store;
        this.sink = sink;
        this.registry = registry;
        this.noticeLimiter = new NoticeRateLimiter(config.bounceRateLimit(), config.bounceRateWindow(), clock);
    }

    @Override
    public QueueRecord send(QueueRecord record, Instant now) throws IOException {
        return sendNotices(record, now);
    }

    private QueueRecord sendNotices(QueueRecord record, Instant now) throws IOException {
        List<RecipientState> states = new ArrayList<>(record.recipients());
        List<RecipientState> failed = new ArrayList<>();
        List<RecipientState> delivered = new ArrayList<>();
        for (int i = 0; i < states.size(); i++) {
            RecipientState s = states.get(i);
            if (s.reported() || s.status() == Status.PENDING) {
                continue;
            }
            var notify = s.recipient().dsnNotify();
            if (s.status() == Status.FAILED && !notify.contains(EnvelopeRecipient.DsnNotify.NEVER)
                    && (notify.isEmpty() || notify.contains(EnvelopeRecipient.DsnNotify.FAILURE))) {
                failed.add(s);
            } else if (s.status() == Status.DELIVERED && notify.contains(EnvelopeRecipient.DsnNotify.SUCCESS)) {
                delivered.add(s);
            }
            states.set(i, s.markReported());
        }
        Optional<MailAddress> sender = record.envelope().sender();
        boolean userMessage = record.origin() == Origin.MESSAGE && sender.isPresent();
        if (!failed.isEmpty()) {
            if (userMessage) {
                notifySender(record, failed, DeliveryReport.Kind.FAILED, sender.get(), now);
            } else if (record.origin() != Origin.POSTMASTER) {
                // Never bounce to a null sender; the postmaster hears about undeliverable notices instead.
                enqueueReport(record, failed, DeliveryReport.Kind.FAILED, postmaster, Origin.POSTMASTER, now);
            } else {
                LOG.warn("event=notice-dropped id={} reason=\"postmaster notice undeliverable\"", record.queueId());
            }
        }
        if (!delivered.isEmpty() && userMessage) {
            notifySender(record, delivered, DeliveryReport.Kind.DELIVERED, sender.get(), now);
        }
        QueueRecord result = record.withRecipients(states);
        if (!config.delayNotice().isZero() && !record.delayNotified() && userMessage && !result.done()
                && !now.isBefore(record.arrival().plus(config.delayNotice()))) {
            List<RecipientState> delayed = result.pending().stream()
                    .filter(s -> s.recipient().dsnNotify().isEmpty()
                            || s.recipient().dsnNotify().contains(EnvelopeRecipient.DsnNotify.DELAY))
                    .toList();
            if (!delayed.isEmpty()) {
                notifySender(record, delayed, DeliveryReport.Kind.DELAYED, sender.get(), now);
            }
            result = result.withDelayNotified();
        }
        return result;
    }

    /**
     * A notice to the message's sender. When the session neither logged in nor came from a trusted
     * network, the sender may be forged and the notice backscatter: such notices are limited per
     * recipient domain ({@code queue.bounceRateLimit} per {@code queue.bounceRateWindow}), and one
     * over the limit is dropped, not deferred (deferring would only keep a flood in the queue and
     * send it later), with an {@code event=notice-dropped reason=rate-limit} line and
     * {@code postern.queue.notices{outcome=rate-limited}}. The delivery log lines keep every failure.
     */
    private void notifySender(QueueRecord record, List<RecipientState> recipients, DeliveryReport.Kind kind,
                              MailAddress sender, Instant now) throws IOException {
        if (!record.envelope().trace().trustedClient() && !noticeLimiter.tryAcquire(sender.domain())) {
            registry.counter("postern.queue.notices", "kind", kind.action, "outcome", "rate-limited").increment();
            LogLine.event("notice-dropped").add("id", record.queueId()).add("kind", kind.action)
                    .add("to", "<" + sender + ">").add("recipients", recipients.size()).add("reason", "rate-limit")
                    .info(LOG);
            return;
        }
        enqueueReport(record, recipients, kind, sender, Origin.NOTICE, now);
        registry.counter("postern.queue.notices", "kind", kind.action, "outcome", "queued").increment();
    }

    private void enqueueReport(QueueRecord record, List<RecipientState> recipients, DeliveryReport.Kind kind,
                               MailAddress to, Origin origin, Instant now) throws IOException {
        Envelope envelope = new Envelope(Optional.empty(), List.of(EnvelopeRecipient.of(to)),
                Envelope.BodyType.EIGHT_BIT_MIME, record.envelope().smtpUtf8(), Optional.empty(), Optional.empty(),
                new Envelope.SessionTrace("127.0.0.1", hostname, hostname, "local", Optional.empty(), Optional.empty(),
                        now));
        QueueSink.SpoolingMessage message;
        try {
            message = sink.open(envelope, origin);
        } catch (SinkException e) {
            throw new IOException(e.getMessage(), e);
        }
        try {
            OutputStream out = new MessageOutput(message);
            DeliveryReport.write(out, record, recipients, kind, to.toString(), hostname, now,
                    record.arrival().plus(config.maxLifetime()), store.content(record.id(), record.contentSize()),
                    config.bounceSizeLimit());
        } catch (IOException | RuntimeException e) {
            message.abort();
            throw e instanceof IOException io ? io : new IOException(e);
        }
        try {
            String id = message.commit().join().queueId();
            LogLine.event("notice").add("id", record.queueId()).add("notice", id).add("kind", kind.action)
                    .add("to", "<" + to + ">").add("recipients", recipients.size()).info(LOG);
        } catch (CompletionException e) {
            throw new IOException("cannot enqueue the " + kind.action + " notice", e.getCause());
        }
    }
}
