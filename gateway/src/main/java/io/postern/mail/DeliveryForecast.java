package io.postern.mail;

import java.util.Optional;
import java.util.Set;

/**
 * What local delivery can tell a front end while the client is still connected, so that a
 * failure known then is a refusal rather than a bounce later (a bounce to a forged sender is
 * backscatter). It answers "would nothing at all be delivered to this recipient?": a recipient
 * some of whose targets may succeed, or whose fate cannot be known now (directory unavailable,
 * remote targets, no access to the spools), is {@link Verdict#DELIVERABLE}. Never refuses on
 * uncertainty. Implementations are thread-safe and may block on the directory and the spool:
 * call them off the event loop.
 */
public interface DeliveryForecast {

    /** The forecast of roles that cannot see local delivery: everything may be delivered. */
    DeliveryForecast NONE = new DeliveryForecast() {
        @Override
        public Verdict atRecipient(MailAddress recipient, Optional<MailAddress> verifiedSender,
                                   Optional<MailAddress> returnPath, long declaredSize) {
            return Verdict.DELIVERABLE;
        }

        @Override
        public Verdict atEndOfData(MailAddress recipient, Optional<MailAddress> verifiedSender,
                                   Optional<MailAddress> returnPath, long size, Set<String> deliveredTo) {
            return Verdict.DELIVERABLE;
        }

        @Override
        public Optional<Verdict> atRecipientNow(MailAddress recipient, Optional<MailAddress> verifiedSender,
                                                Optional<MailAddress> returnPath, long declaredSize) {
            return Optional.of(Verdict.DELIVERABLE);
        }

        @Override
        public Optional<Verdict> atEndOfDataNow(MailAddress recipient, Optional<MailAddress> verifiedSender,
                                                Optional<MailAddress> returnPath, long size, Set<String> deliveredTo) {
            return Optional.of(Verdict.DELIVERABLE);
        }
    };

    /** A closed set: the front end turns it into its protocol's reply. */
    enum Verdict {
        DELIVERABLE,
        /** Every mailbox the recipient leads to is over its quota (5.2.2). */
        MAILBOX_FULL,
        /** Every mailbox the recipient leads to already has its Delivered-To in the message (5.4.6). */
        LOOP
    }

    /**
     * At RCPT. {@code declaredSize} is the SIZE parameter (0 when not given): a mailbox already
     * full, or too full for the declared size, refuses now.
     */
    Verdict atRecipient(MailAddress recipient, Optional<MailAddress> verifiedSender, Optional<MailAddress> returnPath,
                        long declaredSize);

    /**
     * At the end of the content. {@code deliveredTo}: the addresses of the message's own
     * {@code Delivered-To} header fields, lower-case.
     */
    Verdict atEndOfData(MailAddress recipient, Optional<MailAddress> verifiedSender, Optional<MailAddress> returnPath,
                        long size, Set<String> deliveredTo);

    /**
     * {@link #atRecipient}'s verdict when it can be told at once, without waiting on the directory
     * or a spool (from a front end's event loop); empty when it cannot: ask {@link #atRecipient}
     * off the loop. Same verdicts, never blocks.
     */
    default Optional<Verdict> atRecipientNow(MailAddress recipient, Optional<MailAddress> verifiedSender,
                                             Optional<MailAddress> returnPath, long declaredSize) {
        return Optional.empty();
    }

    /** {@link #atEndOfData}'s verdict when it can be told at once, as {@link #atRecipientNow}; empty: ask off the loop. */
    default Optional<Verdict> atEndOfDataNow(MailAddress recipient, Optional<MailAddress> verifiedSender,
                                             Optional<MailAddress> returnPath, long size, Set<String> deliveredTo) {
        return Optional.empty();
    }
}
