package io.postern.milter;

import java.util.List;
import java.util.Objects;

/**
 * What the milters decided about one message. Immutable; switch over it exhaustively. The
 * session answers DATA/BDAT with it: {@link Accept} and {@link Quarantine} queue the message
 * (after applying {@link #modifications()}; a quarantined one in the hold state), {@link Reject}
 * and {@link TempFail} send their reply and queue nothing, {@link Discard} answers 250 and
 * queues nothing.
 */
public sealed interface MilterVerdict {
    /** The header, body and envelope edits to apply, in order; empty unless accepted or quarantined. */
    default List<Modification> modifications() {
        return List.of();
    }

    record Accept(List<Modification> modifications) implements MilterVerdict {
        public Accept {
            modifications = List.copyOf(modifications);
        }
    }

    /** {@code milter} is the name of the milter that decided, for the log line. */
    record Reject(String milter, MilterReply reply) implements MilterVerdict {
        public Reject {
            Objects.requireNonNull(milter);
            if (!reply.isPermanent()) {
                throw new IllegalArgumentException("a reject needs a 5xx reply: " + reply);
            }
        }
    }

    record TempFail(String milter, MilterReply reply) implements MilterVerdict {
        public TempFail {
            Objects.requireNonNull(milter);
            if (reply.isPermanent()) {
                throw new IllegalArgumentException("a tempfail needs a 4xx reply: " + reply);
            }
        }
    }

    record Discard(String milter) implements MilterVerdict {
        public Discard {
            Objects.requireNonNull(milter);
        }
    }

    record Quarantine(String milter, String reason, List<Modification> modifications) implements MilterVerdict {
        public Quarantine {
            Objects.requireNonNull(milter);
            Objects.requireNonNull(reason);
            modifications = List.copyOf(modifications);
        }
    }
}
