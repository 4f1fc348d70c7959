package io.postern.outbound;

import io.postern.mail.DeliveryResult;
import io.postern.mail.EnvelopeRecipient;
import java.util.Optional;

/**
 * Turns a remote reply into a recipient's result: 2xx DELIVERED, 4xx DEFERRED, 5xx FAILED, with
 * the server's enhanced status code when it sent one of the right class ({@code x.0.0} otherwise)
 * and the whole reply as diagnostic. Pure.
 */
final class ReplyMapping {
    private ReplyMapping() {
    }

    static DeliveryResult result(EnvelopeRecipient recipient, SmtpReply reply, String remoteMta) {
        Optional<String> mta = Optional.of(remoteMta);
        if (reply.positive()) {
            return DeliveryResult.delivered(recipient, reply.oneLine(), mta);
        }
        String code = reply.enhancedCode().orElse(reply.transientFailure() ? "4.0.0" : "5.0.0");
        return new DeliveryResult(recipient,
                reply.transientFailure() ? DeliveryResult.Status.DEFERRED : DeliveryResult.Status.FAILED,
                code, reply.oneLine(), mta);
    }

    /** A failure of our own (no reply to map): temporary or permanent by the code's class. */
    static DeliveryResult local(EnvelopeRecipient recipient, String enhancedCode, String diagnostic,
                                Optional<String> remoteMta) {
        return new DeliveryResult(recipient,
                enhancedCode.startsWith("5") ? DeliveryResult.Status.FAILED : DeliveryResult.Status.DEFERRED,
                enhancedCode, diagnostic, remoteMta);
    }
}
