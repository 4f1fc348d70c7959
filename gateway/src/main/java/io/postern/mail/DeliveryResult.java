package io.postern.mail;

import java.util.Objects;
import java.util.Optional;

/**
 * The result of one delivery attempt for one envelope recipient. The queue records it per
 * recipient (so a crash never delivers twice), retries {@link Status#DEFERRED}, and bounces
 * {@link Status#FAILED} (RFC 3464: {@code enhancedCode} is the Status field, {@code diagnostic}
 * the Diagnostic-Code, {@code remoteMta} the Remote-MTA). {@code cause} says whose trouble a
 * deferral was: only a {@link Cause#DESTINATION} deferral counts toward the destination's backoff.
 */
public record DeliveryResult(EnvelopeRecipient recipient, Status status, String enhancedCode, String diagnostic,
                             Optional<String> remoteMta, Cause cause) {
    public DeliveryResult {
        Objects.requireNonNull(recipient);
        Objects.requireNonNull(status);
        Objects.requireNonNull(enhancedCode);
        Objects.requireNonNull(diagnostic);
        Objects.requireNonNull(remoteMta);
        Objects.requireNonNull(cause);
    }

    public DeliveryResult(EnvelopeRecipient recipient, Status status, String enhancedCode, String diagnostic,
                          Optional<String> remoteMta) {
        this(recipient, status, enhancedCode, diagnostic, remoteMta, Cause.DESTINATION);
    }

    public enum Status { DELIVERED, DEFERRED, FAILED }

    /**
     * Whose trouble an outcome was. A directory that cannot answer says nothing about the
     * destination (architecture.md: "a directory outage is not a destination failure"): such a
     * deferral never feeds the destination's failure streak, and the queue retries it as soon as
     * the directory answers again.
     */
    public enum Cause { DESTINATION, DIRECTORY }

    public static DeliveryResult delivered(EnvelopeRecipient recipient, String diagnostic, Optional<String> remoteMta) {
        return new DeliveryResult(recipient, Status.DELIVERED, EnhancedStatus.OK.toString(), diagnostic, remoteMta);
    }

    public static DeliveryResult deferred(EnvelopeRecipient recipient, String enhancedCode, String diagnostic) {
        return new DeliveryResult(recipient, Status.DEFERRED, enhancedCode, diagnostic, Optional.empty());
    }

    public static DeliveryResult failed(EnvelopeRecipient recipient, String enhancedCode, String diagnostic) {
        return new DeliveryResult(recipient, Status.FAILED, enhancedCode, diagnostic, Optional.empty());
    }

    /** Deferred because the directory could not answer ({@code 4.4.3}): not the destination's fault. */
    public static DeliveryResult directoryUnavailable(EnvelopeRecipient recipient, String diagnostic) {
        return new DeliveryResult(recipient, Status.DEFERRED, EnhancedStatus.DIRECTORY_UNAVAILABLE.toString(),
                diagnostic, Optional.empty(), Cause.DIRECTORY);
    }

    /** The same outcome for another recipient, with another diagnostic (an expansion's target, reported for its source). */
    public DeliveryResult forRecipient(EnvelopeRecipient source, String newDiagnostic) {
        return new DeliveryResult(source, status, enhancedCode, newDiagnostic, remoteMta, cause);
    }

    public boolean isDirectoryDeferral() {
        return status == Status.DEFERRED && cause == Cause.DIRECTORY;
    }
}
