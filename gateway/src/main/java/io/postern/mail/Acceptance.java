package io.postern.mail;

import java.util.List;
import java.util.Objects;

/**
 * What happened to a committed message: its queue id and one {@link RecipientOutcome} per
 * envelope recipient, in envelope order. The front end turns them into replies (SMTP: one for the
 * message, LMTP: one per recipient) and into its log line. Immutable.
 */
public record Acceptance(String queueId, List<RecipientOutcome> outcomes) {
    /** A recipient whose copy is in the queue. */
    public static final RecipientOutcome QUEUED = RecipientOutcome.succeeded(EnhancedStatus.OK, "queued");
    /** A recipient whose copy is in its spool (LMTP). */
    public static final RecipientOutcome DELIVERED =
            RecipientOutcome.succeeded(EnhancedStatus.RECIPIENT_OK, "delivered");

    public Acceptance {
        Objects.requireNonNull(queueId);
        outcomes = List.copyOf(outcomes);
    }
}
