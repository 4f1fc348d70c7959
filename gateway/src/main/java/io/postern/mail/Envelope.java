package io.postern.mail;

import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * What SMTP says about a message besides its content: the reverse path (empty for the null
 * sender {@code <>}), the recipients with their DSN parameters, the body type, and the trace of
 * the session that received it. Immutable; the queue writes it to disk with the content.
 *
 * <p>Every ESMTP parameter a client gave is held as a typed value (enums, {@link EnvelopeId},
 * {@link OriginalRecipient}), never as the text it arrived in: whatever is written to another hop
 * is encoded afresh from these values, so client bytes cannot reach an outbound command line raw.
 */
public record Envelope(
        Optional<MailAddress> sender,
        List<EnvelopeRecipient> recipients,
        BodyType bodyType,
        boolean smtpUtf8,
        Optional<DsnReturn> dsnReturn,
        Optional<EnvelopeId> dsnEnvelopeId,
        SessionTrace trace,
        Optional<HandoffKey> handoffKey) {

    public Envelope {
        Objects.requireNonNull(handoffKey);
        Objects.requireNonNull(sender);
        recipients = List.copyOf(recipients);
        Objects.requireNonNull(bodyType);
        Objects.requireNonNull(dsnReturn);
        Objects.requireNonNull(dsnEnvelopeId);
        Objects.requireNonNull(trace);
    }

    /** An envelope without a hand-off key (everything but LMTP from a front node). */
    public Envelope(Optional<MailAddress> sender, List<EnvelopeRecipient> recipients, BodyType bodyType,
                    boolean smtpUtf8, Optional<DsnReturn> dsnReturn, Optional<EnvelopeId> dsnEnvelopeId,
                    SessionTrace trace) {
        this(sender, recipients, bodyType, smtpUtf8, dsnReturn, dsnEnvelopeId, trace, Optional.empty());
    }

    /** The same envelope carrying {@code key} to the next hop (the front's LMTP hand-off). */
    public Envelope withHandoffKey(HandoffKey key) {
        return new Envelope(sender, recipients, bodyType, smtpUtf8, dsnReturn, dsnEnvelopeId, trace, Optional.of(key));
    }

    /** RFC 6152 / 3030 body types. */
    public enum BodyType { SEVEN_BIT, EIGHT_BIT_MIME, BINARY_MIME }

    /** RFC 3461 RET: what a bounce carries back. */
    public enum DsnReturn { FULL, HDRS }

    /**
     * Where the message came from, for Received headers, logs and the queue's records.
     * {@code trustedNetwork}: the client was in {@code relay.trustedNetworks} when it sent.
     */
    public record SessionTrace(String clientAddress, String clientName, String heloName, String protocol,
                               Optional<String> authenticatedUser, Optional<String> tlsCipher, Instant arrival,
                               boolean trustedNetwork) {
        public SessionTrace {
            Objects.requireNonNull(clientAddress);
            Objects.requireNonNull(clientName);
            Objects.requireNonNull(heloName);
            Objects.requireNonNull(protocol);
            Objects.requireNonNull(authenticatedUser);
            Objects.requireNonNull(tlsCipher);
            Objects.requireNonNull(arrival);
        }

        /** A session from a client outside the trusted networks (the default when nothing says otherwise). */
        public SessionTrace(String clientAddress, String clientName, String heloName, String protocol,
                            Optional<String> authenticatedUser, Optional<String> tlsCipher, Instant arrival) {
            this(clientAddress, clientName, heloName, protocol, authenticatedUser, tlsCipher, arrival, false);
        }

        /**
         * Did the client prove who it is (AUTH) or come from a trusted network? Only then is the
         * reverse path more than a claim, and a bounce to it not possible backscatter.
         */
        public boolean trustedClient() {
            return authenticatedUser.isPresent() || trustedNetwork;
        }
    }
}
