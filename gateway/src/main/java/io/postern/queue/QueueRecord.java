package io.postern.queue;

import io.postern.mail.EnhancedStatus;
import io.postern.mail.Envelope;
import io.postern.mail.EnvelopeRecipient;
import io.postern.mail.RecipientOutcome;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * Everything the queue keeps about one message besides its content: the envelope as received,
 * the content's size (checked on recovery), what the message is (a user's message or one of our
 * notices), the retry bookkeeping and one {@link RecipientState} per envelope recipient.
 * Immutable; every change is a new record written to disk before it counts.
 */
record QueueRecord(long id, Envelope envelope, long contentSize, Origin origin, int attempts, Instant nextAttempt,
                   boolean held, boolean delayNotified, List<RecipientState> recipients) {

    QueueRecord {
        Objects.requireNonNull(envelope);
        Objects.requireNonNull(origin);
        Objects.requireNonNull(nextAttempt);
        recipients = List.copyOf(recipients);
        if (recipients.isEmpty()) {
            throw new IllegalArgumentException("a queued message needs at least one recipient");
        }
    }

    /** Why a message is in the queue; decides where its own failures are reported. */
    enum Origin {
        /** Accepted from a client. */
        MESSAGE,
        /** A DSN we generated (null sender); if it fails, the postmaster hears of it. */
        NOTICE,
        /** A report to the postmaster about a failed notice; if it fails, it is dropped and logged. */
        POSTMASTER
    }

    /**
     * The state of one recipient. {@code reported}: its DSN (failure or success) has been enqueued.
     * An empty remote MTA name is no remote MTA: the envelope file cannot tell them apart. No
     * {@code code} until an attempt decided something (the file writes an empty {@code code=}).
     */
    record RecipientState(EnvelopeRecipient recipient, Status status, Optional<EnhancedStatus> code, String diagnostic,
                          Optional<String> remoteMta, boolean reported) {
        RecipientState {
            Objects.requireNonNull(recipient);
            Objects.requireNonNull(status);
            Objects.requireNonNull(code);
            Objects.requireNonNull(diagnostic);
            remoteMta = remoteMta.filter(name -> !name.isEmpty());
        }

        static RecipientState pending(EnvelopeRecipient recipient) {
            return new RecipientState(recipient, Status.PENDING, Optional.empty(), "", Optional.empty(), false);
        }

        RecipientState with(Status newStatus, EnhancedStatus newCode, String newDiagnostic, Optional<String> newRemote) {
            return new RecipientState(recipient, newStatus, Optional.of(newCode), newDiagnostic, newRemote, reported);
        }

        RecipientState markReported() {
            return new RecipientState(recipient, status, code, diagnostic, remoteMta, true);
        }
    }

    /**
     * A recipient's state in the file ({@code state=} in {@link QueueRecordCodec}): the names are
     * the format, so they never change. A deferral leaves the recipient {@code PENDING}.
     */
    enum Status {
        PENDING, DELIVERED, FAILED;

        static Status of(RecipientOutcome outcome) {
            return switch (outcome) {
                case RecipientOutcome.Succeeded s -> DELIVERED;
                case RecipientOutcome.Deferred d -> PENDING;
                case RecipientOutcome.Failed f -> FAILED;
            };
        }
    }

    static QueueRecord fresh(long id, Envelope envelope, long contentSize, Origin origin, Instant now) {
        List<RecipientState> states = new ArrayList<>();
        for (EnvelopeRecipient r : envelope.recipients()) {
            states.add(RecipientState.pending(r));
        }
        return new QueueRecord(id, envelope, contentSize, origin, 0, now, false, false, states);
    }

    String queueId() {
        return QueueId.format(id);
    }

    Instant arrival() {
        return envelope.trace().arrival();
    }

    List<RecipientState> pending() {
        return recipients.stream().filter(r -> r.status() == Status.PENDING).toList();
    }

    boolean done() {
        return recipients.stream().noneMatch(r -> r.status() == Status.PENDING);
    }

    QueueRecord withRecipients(List<RecipientState> newRecipients) {
        return new QueueRecord(id, envelope, contentSize, origin, attempts, nextAttempt, held, delayNotified, newRecipients);
    }

    QueueRecord withSchedule(int newAttempts, Instant next) {
        return new QueueRecord(id, envelope, contentSize, origin, newAttempts, next, held, delayNotified, recipients);
    }

    QueueRecord withHeld(boolean newHeld, Instant next) {
        return new QueueRecord(id, envelope, contentSize, origin, attempts, next, newHeld, delayNotified, recipients);
    }

    QueueRecord withDelayNotified() {
        return new QueueRecord(id, envelope, contentSize, origin, attempts, nextAttempt, held, true, recipients);
    }
}
