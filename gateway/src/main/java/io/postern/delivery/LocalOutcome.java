package io.postern.delivery;

import io.postern.mail.EnhancedStatus;
import java.nio.file.Path;
import java.util.Objects;

/**
 * What became of one local delivery. A closed set; temporary and permanent failures are different
 * types, and each carries an {@link EnhancedStatus} of its own class (checked), so a temporary
 * failure can never carry a {@code 5.x.x}. The routing layer turns it into the one recipient
 * outcome, {@link io.postern.mail.RecipientOutcome}; a success keeps the file it wrote.
 */
public sealed interface LocalOutcome {

    /** Written, fsync'd and in place: {@code file} is the Maildir message or the mbox file. */
    record Delivered(Path file) implements LocalOutcome {
        public Delivered {
            Objects.requireNonNull(file);
        }
    }

    /** Will never succeed as things stand ({@code 5.2.2} mailbox full, {@code 5.3.0} unsafe spool path...). */
    record PermFailed(EnhancedStatus status, String reason) implements LocalOutcome {
        public PermFailed {
            Objects.requireNonNull(reason);
            if (!status.isPermanent()) {
                throw new IllegalArgumentException("a permanent failure needs a 5.x.x status, got " + status);
            }
        }
    }

    /** May succeed later (I/O error, lock held): {@code 4.x}. */
    record TempFailed(EnhancedStatus status, String reason) implements LocalOutcome {
        public TempFailed {
            Objects.requireNonNull(reason);
            if (!status.isTransient()) {
                throw new IllegalArgumentException("a temporary failure needs a 4.x.x status, got " + status);
            }
        }
    }
}
