package io.postern.routing;

import io.postern.directory.Recipient;
import io.postern.mail.EnhancedStatus;
import io.postern.mail.MailAddress;
import java.util.List;
import java.util.Objects;

/**
 * What one envelope recipient expanded to: local mailboxes (each once), remote addresses (each
 * once), and the targets that could not be expanded. Immutable.
 */
public record Expansion(MailAddress recipient, List<LocalTarget> local, List<MailAddress> remote,
                        List<Problem> problems) {
    public Expansion {
        Objects.requireNonNull(recipient);
        local = List.copyOf(local);
        remote = List.copyOf(remote);
        problems = List.copyOf(problems);
    }

    /** A mailbox to write, and the address that led to it (for {@code Delivered-To}; may carry a +tag). */
    public record LocalTarget(Recipient.Mailbox mailbox, MailAddress deliveredTo) {
        public LocalTarget {
            Objects.requireNonNull(mailbox);
            Objects.requireNonNull(deliveredTo);
        }
    }

    /** A target that could not be expanded. Temporary and permanent problems are different types. */
    public sealed interface Problem {
        MailAddress address();

        record Permanent(MailAddress address, EnhancedStatus enhancedCode, String reason) implements Problem {
            public Permanent {
                Objects.requireNonNull(address);
                if (!enhancedCode.isPermanent()) {
                    throw new IllegalArgumentException("a permanent problem needs a 5.x.x code, got " + enhancedCode);
                }
                Objects.requireNonNull(reason);
            }
        }

        record Temporary(MailAddress address, EnhancedStatus enhancedCode, String reason) implements Problem {
            public Temporary {
                Objects.requireNonNull(address);
                if (!enhancedCode.isTransient()) {
                    throw new IllegalArgumentException("a temporary problem needs a 4.x.x code, got " + enhancedCode);
                }
                Objects.requireNonNull(reason);
            }
        }
    }
}
