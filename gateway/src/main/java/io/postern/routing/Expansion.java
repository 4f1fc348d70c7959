package io.postern.routing;

import io.postern.directory.Recipient;
import io.postern.mail.EnhancedStatus;
import io.postern.mail.MailAddress;
import java.util.List;
import java.util.Objects;

/**
 * What one envelope recipient expanded to: local mailboxes (each once), remote addresses (each
 * once), addresses passed on to a configured next hop (relay domain, home server; each once), and
 * the targets that could not be expanded. Immutable.
 */
public record Expansion(MailAddress recipient, List<LocalTarget> local, List<MailAddress> remote,
                        List<Problem> problems, List<RelayedTarget> relayed) {
    public Expansion {
        Objects.requireNonNull(recipient);
        local = List.copyOf(local);
        remote = List.copyOf(remote);
        problems = List.copyOf(problems);
        relayed = List.copyOf(relayed);
    }

    /** Nothing passed on to a next hop. */
    public Expansion(MailAddress recipient, List<LocalTarget> local, List<MailAddress> remote, List<Problem> problems) {
        this(recipient, local, remote, problems, List.of());
    }

    /**
     * An address sent to a next hop instead of a local spool, and why ({@link Route.Relayed}). The
     * address is the one that led there (a {@code +tag} survives), which the next hop knows.
     */
    public record RelayedTarget(MailAddress address, Route.Relayed route) {
        public RelayedTarget {
            Objects.requireNonNull(address);
            Objects.requireNonNull(route);
        }
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
