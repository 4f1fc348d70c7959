package io.postern.delivery;

import java.nio.file.Path;
import java.util.Objects;

/** What became of one local delivery. A closed set; temporary and permanent failures are different types. */
public sealed interface LocalOutcome {

    /** Written, fsync'd and in place: {@code file} is the Maildir message or the mbox file. */
    record Delivered(Path file) implements LocalOutcome {
        public Delivered {
            Objects.requireNonNull(file);
        }
    }

    /** Will never succeed as things stand ({@code 5.2.2} mailbox full, {@code 5.3.0} unsafe spool path...). */
    record PermFailed(String enhancedCode, String reason) implements LocalOutcome {
        public PermFailed {
            Objects.requireNonNull(enhancedCode);
            Objects.requireNonNull(reason);
        }
    }

    /** May succeed later (I/O error, lock held): {@code 4.x}. */
    record TempFailed(String enhancedCode, String reason) implements LocalOutcome {
        public TempFailed {
            Objects.requireNonNull(enhancedCode);
            Objects.requireNonNull(reason);
        }
    }
}
