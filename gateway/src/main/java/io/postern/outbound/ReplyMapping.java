package io.postern.outbound;

import io.postern.mail.DeliveryResult;
import io.postern.mail.EnhancedStatus;
import io.postern.mail.EnvelopeRecipient;
import io.postern.mail.RecipientOutcome;
import java.util.Optional;

/**
 * Turns a remote reply into a recipient's {@link RecipientOutcome}: 2xx succeeded, 4xx deferred,
 * 5xx failed, with the server's reply code, its enhanced status code when it sent one of the right
 * class ({@code x.0.0} otherwise) and the whole reply as text. Pure.
 */
final class ReplyMapping {
    private ReplyMapping() {
    }

    static DeliveryResult result(EnvelopeRecipient recipient, SmtpReply reply, String remoteMta) {
        Optional<String> mta = Optional.of(remoteMta);
        if (reply.positive()) {
            return DeliveryResult.delivered(recipient, reply.oneLine(), mta);
        }
        EnhancedStatus status = reply.enhancedCode()
                .orElse(reply.transientFailure() ? EnhancedStatus.TEMPORARY : EnhancedStatus.PERMANENT);
        RecipientOutcome outcome = reply.transientFailure()
                ? new RecipientOutcome.Deferred(reply.code(), status, reply.oneLine())
                : new RecipientOutcome.Failed(reply.code(), status, reply.oneLine());
        return DeliveryResult.of(recipient, outcome, mta);
    }

    /** A failure of our own (no reply to map): temporary or permanent by the code's class. */
    static DeliveryResult local(EnvelopeRecipient recipient, EnhancedStatus status, String diagnostic,
                                Optional<String> remoteMta) {
        RecipientOutcome outcome = status.isPermanent() ? RecipientOutcome.failed(status, diagnostic)
                : RecipientOutcome.deferred(status, diagnostic);
        return DeliveryResult.of(recipient, outcome, remoteMta);
    }
}
