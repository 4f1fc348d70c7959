package io.postern.milter;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;

/**
 * The meters of one milter: how long each conversation took, what the milter decided and asked
 * for (by kind), and why it failed (by cause). Thread-safe (Micrometer meters are).
 */
final class MilterMetrics {
    /** Why a milter gave no answer. */
    enum Cause { CONNECT, TIMEOUT, CLOSED, PROTOCOL, IO, CIRCUIT_OPEN }

    private final MeterRegistry registry;
    private final String milter;
    private final Timer latency;

    MilterMetrics(MeterRegistry registry, String milter) {
        this.registry = registry;
        this.milter = milter;
        this.latency = Timer.builder("postern.milter.latency")
                .description("Time to a milter's decision about one message")
                .tag("milter", milter)
                .publishPercentileHistogram()
                .register(registry);
    }

    void latency(long nanos) {
        latency.record(Duration.ofNanos(nanos));
    }

    /** accept, reject, tempfail, discard, quarantine, add-header, replace-body, add-recipient ... */
    void action(String kind) {
        Counter.builder("postern.milter.actions").description("Decisions and edits of a milter, by kind")
                .tag("milter", milter).tag("action", kind).register(registry).increment();
    }

    void failure(Cause cause) {
        Counter.builder("postern.milter.failures").description("Messages a milter could not decide, by cause")
                .tag("milter", milter).tag("cause", cause.name().toLowerCase(java.util.Locale.ROOT).replace('_', '-'))
                .register(registry).increment();
    }

    static String kindOf(Modification modification) {
        return switch (modification) {
            case Modification.AddHeader a -> "add-header";
            case Modification.InsertHeader i -> "insert-header";
            case Modification.ChangeHeader c -> "change-header";
            case Modification.DeleteHeader d -> "delete-header";
            case Modification.ReplaceBody r -> "replace-body";
            case Modification.AddRecipient a -> "add-recipient";
            case Modification.DeleteRecipient d -> "delete-recipient";
            case Modification.ChangeSender c -> "change-sender";
        };
    }
}
