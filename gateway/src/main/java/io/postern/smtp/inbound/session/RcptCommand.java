package io.postern.smtp.inbound.session;

import io.postern.config.SmtpConfig;
import io.postern.mail.EnvelopeRecipient;
import io.postern.mail.MailAddress;
import io.postern.smtp.inbound.command.Command;
import io.postern.smtp.inbound.command.EnvelopeParameters;
import io.postern.smtp.inbound.policy.RecipientPolicy;
import io.postern.smtp.inbound.policy.SenderAdmission;
import io.postern.smtp.reply.SmtpReply;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * RCPT TO, once {@link CommandTable} has checked that a transaction is open: the recipient limit,
 * SMTPUTF8, its parameters (NOTIFY, ORCPT), then the decision of {@link RecipientPolicy} (local
 * recipients, relaying; where relay permissions are decided) and, for SMTP, what local delivery
 * would refuse anyway (a full mailbox now is refused now, not bounced later). The recipient joins
 * the transaction only on {@code 250}, and only once. When the directory's answers are in memory
 * (fresh in its cache) and no spool must be read, the session answers on its event loop; else
 * the question goes off the loop under the session's {@link io.postern.protocol.OffLoop} policy.
 * Immutable, one per session.
 */
final class RcptCommand {
    private final SmtpConfig config;
    private final RecipientPolicy recipients;
    // The same policy over the directory's answers in memory: RCPT answered on the loop when they are there.
    private final Optional<RecipientPolicy> inMemory;
    private final SenderAdmission admission;
    private final SmtpServices services;
    private final ReplyStrategy replies;

    RcptCommand(SmtpConfig config, RecipientPolicy recipients, SenderAdmission admission, SmtpServices services,
                ReplyStrategy replies) {
        this.config = config;
        this.recipients = recipients;
        this.inMemory = recipients.inMemory();
        this.admission = admission;
        this.services = services;
        this.replies = replies;
    }

    void handle(Command.Rcpt rcpt, EnvelopeSession session) {
        Transaction current = session.transaction().orElseThrow();
        if (current.message != null) {
            session.reply(SmtpReply.BAD_SEQUENCE);
            return;
        }
        if (current.recipients.size() >= config.maxRecipients()) {
            session.reply(SmtpReply.TOO_MANY_RECIPIENTS);
            return;
        }
        if (session.identity().isPresent()
                && current.recipients.size() >= admission.recipientsPerMessage(current.senderRights)) {
            // RFC 5321 4.5.3.1.10: the extra RCPTs get 452 and the transaction goes on.
            session.reply(SmtpReply.SENDER_TOO_MANY_RECIPIENTS);
            return;
        }
        if (!current.smtpUtf8 && EnvelopeSession.nonAscii(rcpt.recipient())) {
            session.reply(SmtpReply.UTF8_NEEDS_SMTPUTF8);
            return;
        }
        EnvelopeParameters.Rcpt p;
        switch (EnvelopeParameters.rcpt(rcpt.parameters())) {
            case EnvelopeParameters.Result.Refused<EnvelopeParameters.Rcpt>(SmtpReply why) -> {
                session.reply(why);
                return;
            }
            case EnvelopeParameters.Result.Ok<EnvelopeParameters.Rcpt>(EnvelopeParameters.Rcpt value) -> p = value;
        }
        EnvelopeRecipient recipient = new EnvelopeRecipient(rcpt.recipient(), p.dsnNotify(), p.originalRecipient());
        boolean authenticated = session.identity().isPresent();
        RecipientPolicy.Client who = new RecipientPolicy.Client(session.client(), session.identity(), current.sender);
        session.naming(rcpt.recipient());
        // The sender a restricted group may believe: only that of a session that logged in (checked at MAIL).
        Optional<MailAddress> verified = authenticated ? current.sender : Optional.empty();
        Consumer<SmtpReply> decided = answer -> {
            if (answer != SmtpReply.RECIPIENT_OK) {
                session.reply(answer);
            } else if (session.transaction().orElse(null) != current) {
                session.reply(SmtpReply.NEED_MAIL);
            } else {
                if (!current.hasRecipient(rcpt.recipient())) {
                    current.recipients.add(recipient);
                }
                session.reply(answer);
            }
        };
        Optional<SmtpReply> now = answerNow(rcpt.recipient(), who, verified, current);
        if (now.isPresent()) {
            decided.accept(now.get());
            return;
        }
        session.offload(() -> {
            SmtpReply answer = recipients.decide(rcpt.recipient(), who);
            return answer != SmtpReply.RECIPIENT_OK || !replies.forecasts() ? answer
                    : EndOfData.forecastReply(EndOfData.forecast(session.client().getHostAddress(), () -> services
                            .forecast().atRecipient(rcpt.recipient(), verified, current.sender, current.declaredSize)));
        }, decided);
    }

    /**
     * The answer told on the event loop when the directory's answers are in memory and no spool
     * must be read: the same decision and forecast as off the loop. Empty when anything would
     * wait, and when anything throws: then the question is asked off the loop, where a failure is
     * answered as always ({@code 451 4.3.0}, a forecast that fails counts as deliverable).
     */
    private Optional<SmtpReply> answerNow(MailAddress address, RecipientPolicy.Client who,
                                          Optional<MailAddress> verified, Transaction current) {
        if (inMemory.isEmpty()) {
            return Optional.empty();
        }
        try {
            SmtpReply answer = inMemory.get().decide(address, who);
            if (answer != SmtpReply.RECIPIENT_OK || !replies.forecasts()) {
                return Optional.of(answer);
            }
            return services.forecast().atRecipientNow(address, verified, current.sender, current.declaredSize)
                    .map(EndOfData::forecastReply);
        } catch (RuntimeException e) { // NotInMemory, or a failure the off-loop path answers
            return Optional.empty();
        }
    }
}
