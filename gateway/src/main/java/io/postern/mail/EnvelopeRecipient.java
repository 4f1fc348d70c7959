package io.postern.mail;

import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/** One RCPT TO with its RFC 3461 parameters. Immutable. */
public record EnvelopeRecipient(MailAddress address, Set<DsnNotify> dsnNotify, Optional<OriginalRecipient> originalRecipient) {
    public EnvelopeRecipient {
        Objects.requireNonNull(address);
        dsnNotify = Set.copyOf(dsnNotify);
        Objects.requireNonNull(originalRecipient);
    }

    public static EnvelopeRecipient of(MailAddress address) {
        return new EnvelopeRecipient(address, Set.of(), Optional.empty());
    }

    /** RFC 3461 NOTIFY values; an empty set means the default (FAILURE). */
    public enum DsnNotify { NEVER, SUCCESS, FAILURE, DELAY }
}
