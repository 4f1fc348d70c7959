package io.postern.smtp.inbound.session;

import io.postern.config.SmtpConfig;
import io.postern.directory.Login;
import io.postern.mail.MailAddress;
import io.postern.smtp.inbound.command.Command;
import io.postern.smtp.inbound.command.EnvelopeParameters;
import io.postern.smtp.inbound.policy.SenderAdmission;
import io.postern.smtp.inbound.policy.SenderPolicy;
import io.postern.smtp.inbound.policy.TrustedNetworks;
import io.postern.smtp.reply.SmtpReply;
import java.net.InetAddress;
import java.util.Optional;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * MAIL FROM, once {@link CommandTable} has checked HELO first, no open transaction and AUTH where
 * required: its parameters (SIZE, BODY, SMTPUTF8, RET, ENVID), then the sender rules, which follow
 * the login, not the listener (AUTH on the MX port gets submission's rules); without a login, a
 * local sender may be refused from an untrusted client ({@code smtp.rejectUnauthenticatedLocalSender}).
 * The directory's questions are answered on the event loop when its answers are in memory (fresh in
 * its cache), else off the loop. The transaction opens only on {@code 250}. Immutable, one per session.
 */
final class MailCommand {
    private final SmtpConfig config;
    private final SenderPolicy senders;
    private final SenderAdmission admission;
    private final TrustedNetworks trustedNetworks;
    private final SmtpServices services;
    private final ReplyStrategy replies;
    // The same questions over the directory's answers in memory: MAIL answered on the loop when they are there.
    private final Optional<SenderAdmission> admissionNow;
    private final Optional<SenderPolicy> sendersNow;
    private final Optional<TrustedNetworks> trustedNow;

    MailCommand(SmtpConfig config, SenderPolicy senders, SenderAdmission admission, TrustedNetworks trustedNetworks,
                SmtpServices services, ReplyStrategy replies) {
        this.config = config;
        this.senders = senders;
        this.admission = admission;
        this.trustedNetworks = trustedNetworks;
        this.services = services;
        this.replies = replies;
        this.admissionNow = admission.inMemory();
        this.sendersNow = senders.inMemory();
        this.trustedNow = trustedNetworks.inMemory();
    }

    void handle(Command.Mail mail, EnvelopeSession session) {
        EnvelopeParameters.Mail p;
        switch (EnvelopeParameters.mail(mail.parameters())) {
            case EnvelopeParameters.Result.Refused<EnvelopeParameters.Mail>(SmtpReply why) -> {
                session.reply(why);
                return;
            }
            case EnvelopeParameters.Result.Ok<EnvelopeParameters.Mail>(EnvelopeParameters.Mail value) -> p = value;
        }
        if (p.handoffKey().isPresent() && !replies.takesHandoffKey()) {
            // A delivery key decides what a worker writes: never from SMTP clients.
            session.reply(SmtpReply.UNKNOWN_PARAMETER);
            return;
        }
        if (p.declaredSize().orElse(0) > config.maxMessageSize()) {
            session.reply(SmtpReply.MESSAGE_TOO_BIG);
            return;
        }
        if (!p.smtpUtf8() && mail.sender().map(EnvelopeSession::nonAscii).orElse(false)) {
            session.reply(SmtpReply.UTF8_NEEDS_SMTPUTF8);
            return;
        }
        Transaction started = new Transaction(mail.sender(), p.bodyType(), p.smtpUtf8(), p.dsnReturn(),
                p.envelopeId());
        started.declaredSize = p.declaredSize().orElse(0);
        started.handoffKey = p.handoffKey();
        if (session.identity().isPresent()) {
            Login.Identity who = session.identity().get();
            Consumer<SenderAdmission.Decision> admitted = decision -> {
                started.senderRights = decision.rights();
                decided(session, started, decision.reply(), who.login());
            };
            Optional<SenderAdmission.Decision> now = now(admissionNow, a -> a.atMail(who, mail.sender()));
            if (now.isPresent()) {
                admitted.accept(now.get());
                return;
            }
            // The sender rules, the relay permission and the per-sender limits in one directory question.
            session.offload(() -> admission.atMail(who, mail.sender()), admitted);
            return;
        }
        if (replies.relays() && config.rejectUnauthenticatedLocalSender() && mail.sender().isPresent()
                && !services.relay().trusts(session.client())) {
            MailAddress sender = mail.sender().get();
            InetAddress from = session.client();
            Optional<SmtpReply> now = now(trustedNow, trusted -> trusted.trustsOrClosed(from) ? SmtpReply.SENDER_OK
                    : sendersNow.orElseThrow().decideUnauthenticated(sender));
            if (now.isPresent()) {
                decided(session, started, now.get());
                return;
            }
            // Networks listed in the directory are trusted too (asked off the loop; unknown counts as untrusted).
            session.offload(() -> trustedNetworks.trustsOrClosed(from) ? SmtpReply.SENDER_OK
                    : senders.decideUnauthenticated(sender), answer -> decided(session, started, answer));
            return;
        }
        session.open(started);
        session.reply(SmtpReply.SENDER_OK);
    }

    /**
     * {@code question} asked on the event loop of {@code inMemory}, the policy over the directory's
     * answers in memory. Empty when it has none, an answer is not in memory, or anything throws:
     * then it is asked off the loop, where a failure is answered as always ({@code 451 4.3.0}).
     */
    private static <P, T> Optional<T> now(Optional<P> inMemory, Function<P, T> question) {
        if (inMemory.isEmpty()) {
            return Optional.empty();
        }
        try {
            return Optional.of(question.apply(inMemory.get()));
        } catch (RuntimeException e) { // NotInMemory, or a failure the off-loop path answers
            return Optional.empty();
        }
    }

    private static void decided(EnvelopeSession session, Transaction started, SmtpReply answer, Object... args) {
        if (answer == SmtpReply.SENDER_OK) {
            session.open(started);
        }
        session.reply(answer, args);
    }
}
