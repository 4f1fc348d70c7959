package io.postern.directory;

import io.postern.mail.MailAddress;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;

/** What an address is, according to the directory. A closed set: switch on it exhaustively. */
public sealed interface Recipient {

    /**
     * A user's own mailbox. {@code spool} overrides the configured layout when the directory sets
     * one; {@code homeServer} is the directory's raw value naming the server that holds the mailbox
     * when it is not this one (routing decides what it means).
     */
    record Mailbox(MailAddress address, String dn, Optional<String> spool, OptionalLong quotaBytes, boolean disabled,
                   Optional<String> homeServer) implements Recipient {
        public Mailbox {
            Objects.requireNonNull(address);
            Objects.requireNonNull(dn);
            Objects.requireNonNull(spool);
            Objects.requireNonNull(quotaBytes);
            Objects.requireNonNull(homeServer);
        }

        /** A mailbox held here (no home server named). */
        public Mailbox(MailAddress address, String dn, Optional<String> spool, OptionalLong quotaBytes, boolean disabled) {
            this(address, dn, spool, quotaBytes, disabled, Optional.empty());
        }
    }

    /** Another name for one or more addresses. */
    record Alias(MailAddress address, List<MailAddress> targets) implements Recipient {
        public Alias {
            targets = List.copyOf(targets);
        }
    }

    /** A distribution group; {@code allowedSenders} empty means anyone may send to it. */
    record Group(MailAddress address, String dn, List<MailAddress> members, List<MailAddress> allowedSenders)
            implements Recipient {
        public Group {
            members = List.copyOf(members);
            allowedSenders = List.copyOf(allowedSenders);
        }
    }

    /** A mailbox whose mail goes elsewhere; {@code keepCopy} also delivers to {@code mailbox}. */
    record Forward(Mailbox mailbox, List<MailAddress> targets, boolean keepCopy) implements Recipient {
        public Forward {
            Objects.requireNonNull(mailbox);
            targets = List.copyOf(targets);
        }
    }

    /** Not known to the directory (in a local domain: 550 5.1.1). */
    record Unknown(MailAddress address) implements Recipient {
    }
}
