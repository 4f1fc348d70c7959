package io.postern.mail;

import java.util.Objects;
import java.util.Optional;

/**
 * The result of one delivery attempt for one envelope recipient. The queue records it per
 * recipient (so a crash never delivers twice), retries {@link Status#DEFERRED}, and bounces
 * {@link Status#FAILED} (RFC 3464: {@code enhancedCode} is the Status field, {@code diagnostic}
 * the Diagnostic-Code, {@code remoteMta} the Remote-MTA).
 */
public record DeliveryResult(EnvelopeRecipient recipient, Status status, String enhancedCode, String diagnostic,
                             Optional<String> remoteMta) {
    public DeliveryResult {
        Objects.requireNonNull(recipient);
        Objects.requireNonNull(status);
        Objects.requireNonNull(enhancedCode);
        Objects.requireNonNull(diagnostic);
        Objects.requireNonNull(remoteMta);
    }

    public enum Status { DELIVERED, DEFERRED, FAILED }

    public static DeliveryResult delivered(EnvelopeRecipient recipient, String diagnostic, Optional<String> remoteMta) {
        return new DeliveryResult(recipient, Status.DELIVERED, "2.0.0", diagnostic, remoteMta);
    }

    public static DeliveryResult deferred(EnvelopeRecipient recipient, String enhancedCode, String diagnostic) {
        return new DeliveryResult(recipient, Status.DEFERRED, enhancedCode, diagnostic, Optional.empty());
    }

    public static DeliveryResult failed(EnvelopeRecipient recipient, String enhancedCode, String diagnostic) {
        return new DeliveryResult(recipient, Status.FAILED, enhancedCode, diagnostic, Optional.empty());
    }
}
