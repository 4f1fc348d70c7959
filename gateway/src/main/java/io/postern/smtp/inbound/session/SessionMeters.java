package io.postern.smtp.inbound.session;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.postern.smtp.inbound.command.Command;
import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReferenceArray;

/**
 * The SMTP meters of one listener, shared by all its sessions: {@code postern.smtp.sessions},
 * {@code postern.smtp.commands{command}} (a known verb or {@code unknown}),
 * {@code postern.smtp.replies{code}} (the 3-digit code), {@code postern.smtp.replies.errors},
 * {@code postern.smtp.messages.accepted} and {@code postern.smtp.messages.rejected{reason}} (a
 * {@link RejectReason}). Every tag comes from a closed set, so a client cannot grow the registry.
 *
 * <p>Each counter is resolved in the registry once per listener, not per command: a registry
 * look-up builds, sorts and hashes a meter id, which cost about 1 % of the node's CPU when it ran
 * for every command and reply. Commands and replies are resolved on first use (a series appears
 * when it first counts, as before); the rejection counters are registered at zero when the
 * listener's meters are made. Thread-safe: the sessions of a listener run on several event loops;
 * two of them may resolve the same counter at once, and the registry gives both the same one.
 */
final class SessionMeters {
    static final String UNKNOWN_COMMAND = "unknown";
    private static final Command.Verb[] VERBS = Command.Verb.values();
    // Replies: one slot per code from 200 to 599 (the tagged ones, see ReplyLine#tag), then "other".
    private static final int FIRST_CODE = 200;
    private static final int OTHER_CODE = 400;

    private final MeterRegistry registry;
    private final String listener;
    private final Counter sessions;
    private final Counter accepted;
    private final Counter errorReplies;
    // Filled here, never changed: safely published through the final field.
    private final Map<RejectReason, Counter> rejected = new EnumMap<>(RejectReason.class);
    // One slot per verb, then "unknown".
    private final AtomicReferenceArray<Counter> commands = new AtomicReferenceArray<>(VERBS.length + 1);
    private final AtomicReferenceArray<Counter> replies = new AtomicReferenceArray<>(OTHER_CODE + 1);

    SessionMeters(MeterRegistry registry, String listener) {
        this.registry = registry;
        this.listener = listener;
        this.sessions = registry.counter("postern.smtp.sessions", "listener", listener);
        this.accepted = registry.counter("postern.smtp.messages.accepted", "listener", listener);
        this.errorReplies = registry.counter("postern.smtp.replies.errors", "listener", listener);
        for (RejectReason reason : RejectReason.values()) {
            if (reason.message()) {
                // Registered at zero, so that rate() and alerts work before the first rejection.
                rejected.put(reason, registry.counter("postern.smtp.messages.rejected",
                        "listener", listener, "reason", reason.tag()));
            }
        }
    }

    void session() {
        sessions.increment();
    }

    /** Messages that got {@code 250} (the session's end of data counts them). */
    Counter accepted() {
        return accepted;
    }

    /** 4xx and 5xx replies. */
    Counter errorReplies() {
        return errorReplies;
    }

    void command(Command.Verb verb) {
        command(verb.ordinal(), verb.name());
    }

    void unknownCommand() {
        command(VERBS.length, UNKNOWN_COMMAND);
    }

    private void command(int slot, String tag) {
        Counter counter = commands.get(slot);
        if (counter == null) {
            counter = registry.counter("postern.smtp.commands", "listener", listener, "command", tag);
            commands.set(slot, counter);
        }
        counter.increment();
    }

    void reply(ReplyLine reply) {
        int code = reply.code();
        int slot = code >= FIRST_CODE && code < FIRST_CODE + OTHER_CODE ? code - FIRST_CODE : OTHER_CODE;
        Counter counter = replies.get(slot);
        if (counter == null) {
            counter = registry.counter("postern.smtp.replies", "listener", listener, "code", reply.tag());
            replies.set(slot, counter);
        }
        counter.increment();
    }

    void rejected(RejectReason reason) {
        Counter counter = rejected.get(reason);
        if (counter != null) {
            counter.increment();
        }
    }
}
