package io.postern.smtp.inbound.session;

import io.micrometer.core.instrument.MeterRegistry;
import io.postern.smtp.inbound.command.Command;

/**
 * The per-listener SMTP meters a session updates: {@code postern.smtp.commands{command}} (a known
 * verb or {@code unknown}), {@code postern.smtp.replies{code}} (the 3-digit code) and
 * {@code postern.smtp.messages.rejected{reason}} (a {@link RejectReason}). Every tag comes from a
 * closed set, so a client cannot grow the registry. Thread-safe (Micrometer counters).
 */
final class SessionMeters {
    static final String UNKNOWN_COMMAND = "unknown";

    private final MeterRegistry registry;
    private final String listener;

    SessionMeters(MeterRegistry registry, String listener) {
        this.registry = registry;
        this.listener = listener;
        for (RejectReason reason : RejectReason.values()) {
            if (reason.message()) {
                // Registered at zero, so that rate() and alerts work before the first rejection.
                registry.counter("postern.smtp.messages.rejected", "listener", listener, "reason", reason.tag());
            }
        }
    }

    void command(Command.Verb verb) {
        command(verb.name());
    }

    void unknownCommand() {
        command(UNKNOWN_COMMAND);
    }

    private void command(String tag) {
        registry.counter("postern.smtp.commands", "listener", listener, "command", tag).increment();
    }

    void reply(ReplyLine reply) {
        registry.counter("postern.smtp.replies", "listener", listener, "code", reply.tag()).increment();
    }

    void rejected(RejectReason reason) {
        if (reason.message()) {
            registry.counter("postern.smtp.messages.rejected", "listener", listener, "reason", reason.tag())
                    .increment();
        }
    }
}
