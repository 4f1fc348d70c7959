package io.postern.mail;

import java.util.List;
import java.util.Objects;

/** What happened to a committed message: its queue id and one outcome per envelope recipient. */
public record Acceptance(String queueId, List<RecipientOutcome> outcomes) {
    public Acceptance {
        Objects.requireNonNull(queueId);
        outcomes = List.copyOf(outcomes);
    }

    /** The outcome of one recipient; the front end turns it into a reply (LMTP: one per recipient). */
    public sealed interface RecipientOutcome {
        /** Queued (SMTP) or written into the spool (LMTP). */
        record Accepted() implements RecipientOutcome {
        }

        /** 4xx: try again later. {@code enhancedCode} like {@code 4.3.1}. */
        record TempFailed(String enhancedCode, String reason) implements RecipientOutcome {
        }

        /** 5xx: will never succeed. {@code replyCode} like 552, {@code enhancedCode} like {@code 5.2.2}. */
        record PermFailed(int replyCode, String enhancedCode, String reason) implements RecipientOutcome {
        }
    }
}
