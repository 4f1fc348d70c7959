package io.postern.mail;

import java.util.Objects;
import java.util.Optional;

/**
 * The result of one delivery attempt for one envelope recipient: its {@link RecipientOutcome}
 * (the queue retries {@link RecipientOutcome.Deferred} and bounces {@link RecipientOutcome.Failed};
 * for RFC 3464 the outcome's status is the Status field, its text the Diagnostic-Code), the
 * Remote-MTA, and whose trouble a deferral was: only a {@link Cause#DESTINATION} deferral counts
 * toward the destination's backoff. Immutable.
 */
public record DeliveryResult(EnvelopeRecipient recipient, RecipientOutcome outcome, Optional<String> remoteMta,
                             Cause cause) {
    public DeliveryResult {
        Objects.requireNonNull(recipient);
        Objects.requireNonNull(outcome);
        Objects.requireNonNull(remoteMta);
        Objects.requireNonNull(cause);
    }

    /**
     * Whose trouble an outcome was. A directory that cannot answer says nothing about the
     * destination (architecture.md: "a directory outage is not a destination failure"): such a
     * deferral never feeds the destination's failure streak, and the queue retries it as soon as
     * the directory answers again.
     */
    public enum Cause { DESTINATION, DIRECTORY }

    public static DeliveryResult of(EnvelopeRecipient recipient, RecipientOutcome outcome, Optional<String> remoteMta) {
        return new DeliveryResult(recipient, outcome, remoteMta, Cause.DESTINATION);
    }

    public static DeliveryResult delivered(EnvelopeRecipient recipient, String diagnostic, Optional<String> remoteMta) {
        return of(recipient, RecipientOutcome.succeeded(EnhancedStatus.OK, diagnostic), remoteMta);
    }

    public static DeliveryResult deferred(EnvelopeRecipient recipient, EnhancedStatus status, String diagnostic) {
        return of(recipient, RecipientOutcome.deferred(status, diagnostic), Optional.empty());
    }

    public static DeliveryResult failed(EnvelopeRecipient recipient, EnhancedStatus status, String diagnostic) {
        return of(recipient, RecipientOutcome.failed(status, diagnostic), Optional.empty());
    }

    /** Deferred because the directory could not answer ({@code 4.4.3}): not the destination's fault. */
    public static DeliveryResult directoryUnavailable(EnvelopeRecipient recipient, String diagnostic) {
        return new DeliveryResult(recipient, RecipientOutcome.deferred(EnhancedStatus.DIRECTORY_UNAVAILABLE, diagnostic),
                Optional.empty(), Cause.DIRECTORY);
    }

    /** The enhanced status code of the outcome (RFC 3464 Status). */
    public EnhancedStatus status() {
        return outcome.status();
    }

    /** The outcome's text: the remote reply or our own words (RFC 3464 Diagnostic-Code). */
    public String diagnostic() {
        return outcome.text();
    }

    public boolean isDelivered() {
        return outcome instanceof RecipientOutcome.Succeeded;
    }

    public boolean isDeferred() {
        return outcome instanceof RecipientOutcome.Deferred;
    }

    /** {@code delivered}, {@code deferred} or {@code failed}: the name in metrics and log lines. */
    public String label() {
        return switch (outcome) {
            case RecipientOutcome.Succeeded s -> "delivered";
            case RecipientOutcome.Deferred d -> "deferred";
            case RecipientOutcome.Failed f -> "failed";
        };
    }

    /** The same outcome for another recipient, with another text (an expansion's target, reported for its source). */
    public DeliveryResult forRecipient(EnvelopeRecipient source, String newDiagnostic) {
        RecipientOutcome moved = switch (outcome) {
            case RecipientOutcome.Succeeded s -> new RecipientOutcome.Succeeded(s.replyCode(), s.status(), newDiagnostic);
            case RecipientOutcome.Deferred d -> new RecipientOutcome.Deferred(d.replyCode(), d.status(), newDiagnostic);
            case RecipientOutcome.Failed f -> new RecipientOutcome.Failed(f.replyCode(), f.status(), newDiagnostic);
        };
        return new DeliveryResult(source, moved, remoteMta, cause);
    }

    public boolean isDirectoryDeferral() {
        return isDeferred() && cause == Cause.DIRECTORY;
    }
}
