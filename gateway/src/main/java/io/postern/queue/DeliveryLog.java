package io.postern.queue;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.postern.mail.EnhancedStatus;
import io.postern.mail.RecipientOutcome;
import io.postern.mail.MailAddress;
import io.postern.observability.LogLine;
import java.time.Duration;
import java.util.EnumMap;
import java.util.Locale;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One {@code event=delivery} line and one {@code postern.queue.delivery.delay} measurement per
 * recipient and attempt. The label is the recipient's outcome, or {@code expired} for a deferral
 * turned into a failure by the queue's lifetime: a label, not a fourth outcome. Thread-safe.
 */
final class DeliveryLog {
    private static final Logger LOG = LoggerFactory.getLogger(DeliveryScheduler.class);

    /** What the log line and the metric call an outcome. */
    enum Label {
        SENT("delivered"), DEFERRED("deferred"), BOUNCED("failed"), EXPIRED("expired");

        private final String metric;

        Label(String metric) {
            this.metric = metric;
        }

        static Label of(RecipientOutcome outcome) {
            return switch (outcome) {
                case RecipientOutcome.Succeeded s -> SENT;
                case RecipientOutcome.Deferred d -> DEFERRED;
                case RecipientOutcome.Failed f -> BOUNCED;
            };
        }
    }

    private final Map<Label, Timer> delays = new EnumMap<>(Label.class);

    DeliveryLog(MeterRegistry registry) {
        for (Label label : Label.values()) {
            delays.put(label, Timer.builder("postern.queue.delivery.delay")
                    .description("Time from arrival to the end of a delivery attempt, per recipient")
                    .tag("outcome", label.metric).register(registry));
        }
    }

    void attempt(QueueRecord record, MailAddress to, String relay, Duration delay, int attempt, Label label,
                 EnhancedStatus code, String diagnostic) {
        delays.get(label).record(delay);
        // Values from clients and remote servers go through LogLine: a quoted local part or a
        // remote reply can never add a key or end the line.
        LogLine.event("delivery").add("id", record.queueId())
                .add("from", "<" + record.envelope().sender().map(MailAddress::toString).orElse("") + ">")
                .add("to", "<" + to + ">").add("relay", relay.replace(' ', '_'))
                .add("delay", String.format(Locale.ROOT, "%.3f", delay.toMillis() / 1000.0))
                .add("attempt", attempt).add("status", label.name().toLowerCase(Locale.ROOT)).add("dsn", code)
                .add("diag", diagnostic).info(LOG);
    }
}
