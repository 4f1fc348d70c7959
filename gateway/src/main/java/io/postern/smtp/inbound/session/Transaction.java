package io.postern.smtp.inbound.session;

import io.postern.directory.SenderRights;
import io.postern.mail.EnhancedStatus;
import io.postern.mail.Envelope;
import io.postern.mail.EnvelopeId;
import io.postern.mail.EnvelopeRecipient;
import io.postern.mail.HandoffKey;
import io.postern.mail.IncomingMessage;
import io.postern.mail.MailAddress;
import io.postern.mail.SinkException;
import io.postern.smtp.inbound.codec.MessageStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * One mail transaction, from MAIL FROM to the end of DATA / BDAT LAST or RSET. Mutable, owned by
 * one session on its event loop.
 */
final class Transaction {
    final Optional<MailAddress> sender;
    final Envelope.BodyType bodyType;
    final boolean smtpUtf8;
    final Optional<Envelope.DsnReturn> dsnReturn;
    final Optional<EnvelopeId> envelopeId;
    /** The front's delivery key (LMTP only), carried into the envelope for exactly-once delivery. */
    Optional<HandoffKey> handoffKey = Optional.empty();
    final List<EnvelopeRecipient> recipients = new ArrayList<>();
    IncomingMessage message;
    /** The envelope the message was opened with. */
    Envelope envelope;
    /** Where the content goes while milters read it, instead of {@link #message}; null without milters. */
    FilterSpool spool;
    /** The milters' edited envelope and quarantine, once they accepted; null without milters. */
    MilterStep.Outcome.Queue filtered;
    /** The milters refused the message: its rejection is logged and counted as theirs. */
    boolean refusedByFilter;
    MessageStream stream;
    SinkException sinkFailure;
    boolean usesBdat;
    /** What the authenticated sender may do (checked at MAIL): recipient cap, counted at acceptance. */
    SenderRights senderRights = SenderRights.UNRESTRICTED;
    /** The SIZE parameter of MAIL FROM, 0 when not given. */
    long declaredSize;

    Transaction(Optional<MailAddress> sender, Envelope.BodyType bodyType, boolean smtpUtf8,
                Optional<Envelope.DsnReturn> dsnReturn, Optional<EnvelopeId> envelopeId) {
        this.sender = sender;
        this.bodyType = bodyType;
        this.smtpUtf8 = smtpUtf8;
        this.dsnReturn = dsnReturn;
        this.envelopeId = envelopeId;
    }

    boolean hasRecipient(MailAddress address) {
        return recipients.stream().anyMatch(r -> r.address().key().equals(address.key()));
    }

    /** Streams content into the message; the first write error is kept and reported at the end. */
    void write(byte[] bytes, int offset, int length) {
        if (sinkFailure != null || message == null) {
            return;
        }
        if (spool != null) {
            try {
                spool.write(bytes, offset, length);
            } catch (java.io.IOException e) {
                sinkFailure = new SinkException(EnhancedStatus.STORAGE_TEMPORARY, "cannot write the filter spool: " + e.getMessage(), e);
            }
            return;
        }
        try {
            message.write(bytes, offset, length);
        } catch (SinkException e) {
            sinkFailure = e;
        }
    }

    // The filter step works on the message off the loop; an abort meanwhile (the client went
    // away) is left to it, so that the message is never used by two threads at once.
    private boolean filtering;
    private boolean abandoned;

    /** The filter step takes the message: false when the session already dropped it (it went away). */
    synchronized boolean startFiltering() {
        if (message == null) {
            return false;
        }
        filtering = true;
        return true;
    }

    /** The filter step is done with the message: false when the session aborted meanwhile (then it is dropped now). */
    synchronized boolean filteringDone() {
        filtering = false;
        if (abandoned) {
            abort();
            return false;
        }
        return true;
    }

    /** Drops the message being received, if any; nothing of it is ever delivered. */
    synchronized void abort() {
        if (filtering) {
            abandoned = true;
            return;
        }
        if (spool != null) {
            spool.delete();
        }
        if (message != null) {
            message.abort();
            message = null;
        }
    }
}
