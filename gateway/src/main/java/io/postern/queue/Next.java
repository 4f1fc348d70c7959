package io.postern.queue;

import java.time.Instant;

/** What the schedule does with a message after an attempt or an operator's command. */
sealed interface Next {
    /** No heap entry: removed, on hold, parked at a destination, or an entry elsewhere is current. */
    record None() implements Next {
    }

    /**
     * Due at {@code dueMillis}. {@code forced}: run even though the envelope on disk names another
     * time (a destination's backoff or a bookkeeping retry: not worth a rewrite per message).
     */
    record At(long dueMillis, boolean forced) implements Next {
    }

    Next NONE = new None();

    static Next at(Instant due) {
        return new At(due.toEpochMilli(), false);
    }

    static Next forced(long dueMillis) {
        return new At(dueMillis, true);
    }
}
