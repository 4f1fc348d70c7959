package io.postern.directory;

import java.util.Objects;
import java.util.OptionalInt;

/**
 * What the directory lets one authenticated sender do beyond sending as themselves: relay to
 * external domains, and the per-sender limits their entry sets (empty: the configured default
 * applies). Immutable.
 *
 * @param mayRelay whether the sender may address recipients outside the local domains
 * @param recipientsPerMessage the entry's own cap on recipients in one message, if it sets one
 * @param messagesPerHour the entry's own cap on messages per hour, if it sets one
 */
public record SenderRights(boolean mayRelay, OptionalInt recipientsPerMessage, OptionalInt messagesPerHour) {

    /** What every sender has when no permission and no limit attribute is configured. */
    public static final SenderRights UNRESTRICTED = new SenderRights(true, OptionalInt.empty(), OptionalInt.empty());

    public SenderRights {
        Objects.requireNonNull(recipientsPerMessage);
        Objects.requireNonNull(messagesPerHour);
    }
}
