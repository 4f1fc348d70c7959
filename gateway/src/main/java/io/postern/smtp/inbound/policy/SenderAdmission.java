package io.postern.smtp.inbound.policy;

import io.postern.config.RelayConfig;
import io.postern.directory.Directory;
import io.postern.directory.Login;
import io.postern.directory.Lookup;
import io.postern.directory.SenderRights;
import io.postern.directory.SenderRightsQuestion;
import io.postern.mail.MailAddress;
import io.postern.smtp.reply.SmtpReply;
import java.util.Objects;
import java.util.Optional;

/**
 * MAIL FROM of an authenticated session: the sender address must be the user's
 * ({@link SenderPolicy}), then the user's rights are read (cached) and the hourly message limit
 * is checked (451 4.7.1 past it). The rights travel with the transaction: RCPT checks the
 * recipients-per-message cap against them, the accepted message is counted with them. May block
 * on the directory: call it off the event loop. Immutable, thread-safe.
 */
public record SenderAdmission(SenderPolicy senders, Directory directory, RelayConfig relay, SenderLimiter limiter) {

    /** The reply to MAIL FROM and, when it is 250, the sender's rights for this transaction. */
    public record Decision(SmtpReply reply, SenderRights rights) {
        public Decision {
            Objects.requireNonNull(reply);
            Objects.requireNonNull(rights);
        }
    }

    /**
     * This admission over the directory's in-memory view: {@link #atMail} never blocks and throws
     * {@link io.postern.directory.NotInMemory} (before the limiter is asked) when an answer is not
     * in memory.
     */
    public Optional<SenderAdmission> inMemory() {
        return senders.inMemory().flatMap(owned -> directory.inMemory()
                .map(memory -> new SenderAdmission(owned, memory, relay, limiter)));
    }

    public Decision atMail(Login.Identity identity, Optional<MailAddress> sender) {
        SmtpReply owned = senders.decide(identity, sender);
        if (owned != SmtpReply.SENDER_OK) {
            return new Decision(owned, SenderRights.UNRESTRICTED);
        }
        SenderRightsQuestion question = RelayQuestions.rights(relay);
        SenderRights rights = SenderRights.UNRESTRICTED;
        if (question.asksDirectory()) {
            switch (directory.senderRights(identity, question)) {
                case Lookup.TempFail<SenderRights> t -> {
                    return new Decision(SmtpReply.DIRECTORY_TEMP_FAIL, SenderRights.UNRESTRICTED);
                }
                case Lookup.Found<SenderRights>(SenderRights found) -> rights = found;
            }
        }
        if (!limiter.mayStart(counted(identity), rights)) {
            return new Decision(SmtpReply.SENDER_RATE_LIMITED, rights);
        }
        return new Decision(SmtpReply.SENDER_OK, rights);
    }

    /** One message of the user was accepted. */
    public void accepted(Login.Identity identity, SenderRights rights) {
        limiter.accepted(counted(identity), rights);
    }

    /** Recipients the user may address in one message ({@link Integer#MAX_VALUE}: no per-sender cap). */
    public int recipientsPerMessage(SenderRights rights) {
        return limiter.recipientsPerMessage(rights);
    }

    /** Counted per user, whichever login name (mail, UPN, uid) they used. */
    private static String counted(Login.Identity identity) {
        return identity.primaryAddress().key();
    }
}
