package io.postern.smtp.inbound.session;

import io.postern.config.ListenerKind;
import io.postern.mail.Acceptance;
import io.postern.mail.EnvelopeRecipient;
import io.postern.mail.MailAddress;
import io.postern.mail.RecipientOutcome;
import io.postern.smtp.inbound.command.Command;
import io.postern.smtp.reply.Reply;
import io.postern.smtp.reply.SmtpReply;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Where SMTP and LMTP differ, in one place: SMTP answers a message once, after it is queued;
 * LMTP (RFC 2033) delivers first and answers once per accepted recipient with that recipient's
 * own outcome. The rest follows from that: LMTP greets and is greeted with LHLO, has no AUTH, does
 * not relay, and asks no delivery forecast (its answer is delivery's). Stateless.
 */
sealed interface ReplyStrategy {
    ReplyStrategy SMTP = new PerMessage();
    ReplyStrategy LMTP = new PerRecipient();

    static ReplyStrategy of(ListenerKind kind) {
        return kind == ListenerKind.LMTP ? LMTP : SMTP;
    }

    /** One reply of the end of data, with the recipient it names in the log line (empty: the message). */
    record Answer(Optional<MailAddress> recipient, Reply reply) {
    }

    SmtpReply greeting();

    /** False for a greeting verb of the other protocol (HELO/EHLO on LMTP, LHLO on SMTP): 500 5.5.1. */
    boolean speaks(Command.Verb hello);

    /** How many times a refusal of the whole message is sent. */
    int copies(int recipients);

    /** The replies to a committed message. */
    List<Answer> committed(List<EnvelopeRecipient> recipients, Acceptance acceptance);

    /** True when the session answers before delivery and so asks {@link io.postern.mail.DeliveryForecast}. */
    boolean forecasts();

    /** True when RCPT checks relaying (LMTP only takes mail for local mailboxes, from a trusted front tier). */
    boolean relays();

    /** The protocol name of the Received header (RFC 3848). */
    String protocolName(boolean extended, boolean tls, boolean authenticated);

    /** False for LMTP: AUTH answers 502 5.5.1 (the front tier is trusted by network, not by login). */
    default boolean speaksAuth() {
        return relays();
    }

    /**
     * True for LMTP only: the front's hand-off key ({@code MAIL ... XPOSTERN-KEY=}) is advertised
     * and accepted; it decides what a worker writes, so SMTP clients never get to send one.
     */
    default boolean takesHandoffKey() {
        return !relays();
    }

    /** SMTP, submission: one reply per message. */
    record PerMessage() implements ReplyStrategy {
        @Override
        public SmtpReply greeting() {
            return SmtpReply.GREETING;
        }

        @Override
        public boolean speaks(Command.Verb hello) {
            return hello != Command.Verb.LHLO;
        }

        @Override
        public int copies(int recipients) {
            return 1;
        }

        /** Queued when any recipient was accepted (the others get a DSN); otherwise the first refusal. */
        @Override
        public List<Answer> committed(List<EnvelopeRecipient> recipients, Acceptance acceptance) {
            boolean anyAccepted = acceptance.outcomes().isEmpty() || acceptance.outcomes().stream()
                    .anyMatch(o -> o instanceof RecipientOutcome.Succeeded);
            if (anyAccepted) {
                return List.of(new Answer(Optional.empty(), SmtpReply.QUEUED.with(acceptance.queueId())));
            }
            MailAddress first = recipients.getFirst().address();
            return List.of(new Answer(Optional.of(first), PerRecipient.reply(acceptance.outcomes().getFirst(), first,
                    acceptance.queueId())));
        }

        @Override
        public boolean forecasts() {
            return true;
        }

        @Override
        public boolean relays() {
            return true;
        }

        @Override
        public String protocolName(boolean extended, boolean tls, boolean authenticated) {
            return extended ? "ESMTP" + (tls ? "S" : "") + (authenticated ? "A" : "") : "SMTP";
        }
    }

    /** LMTP: one reply per accepted recipient, in RCPT order. */
    record PerRecipient() implements ReplyStrategy {
        @Override
        public SmtpReply greeting() {
            return SmtpReply.LMTP_GREETING;
        }

        @Override
        public boolean speaks(Command.Verb hello) {
            return hello == Command.Verb.LHLO;
        }

        @Override
        public int copies(int recipients) {
            return Math.max(1, recipients);
        }

        @Override
        public List<Answer> committed(List<EnvelopeRecipient> recipients, Acceptance acceptance) {
            List<Answer> answers = new ArrayList<>();
            for (int i = 0; i < recipients.size(); i++) {
                MailAddress rcpt = recipients.get(i).address();
                answers.add(i < acceptance.outcomes().size()
                        ? new Answer(Optional.of(rcpt), reply(acceptance.outcomes().get(i), rcpt, acceptance.queueId()))
                        : new Answer(Optional.empty(), SmtpReply.LOCAL_ERROR.with()));
            }
            return answers;
        }

        static Reply reply(RecipientOutcome outcome, MailAddress rcpt, String queueId) {
            return switch (outcome) {
                case RecipientOutcome.Succeeded s -> SmtpReply.DELIVERED.with("<" + rcpt + ">", queueId);
                case RecipientOutcome.Deferred d -> Reply.of(d, rcpt.toString());
                case RecipientOutcome.Failed f -> Reply.of(f, rcpt.toString());
            };
        }

        @Override
        public boolean forecasts() {
            return false;
        }

        @Override
        public boolean relays() {
            return false;
        }

        @Override
        public String protocolName(boolean extended, boolean tls, boolean authenticated) {
            return tls ? "LMTPS" : "LMTP";
        }
    }
}
