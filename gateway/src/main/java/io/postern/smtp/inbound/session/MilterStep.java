package io.postern.smtp.inbound.session;

import io.postern.mail.Envelope;
import io.postern.mail.EnvelopeRecipient;
import io.postern.mail.IncomingMessage;
import io.postern.mail.MailAddress;
import io.postern.mail.MessageOutput;
import io.postern.mail.SinkException;
import io.postern.milter.MessageRewriter;
import io.postern.milter.MilterChain;
import io.postern.milter.MilterContext;
import io.postern.milter.MilterReply;
import io.postern.milter.MilterVerdict;
import io.postern.milter.Modification;
import io.postern.observability.LogLine;
import io.postern.smtp.inbound.policy.RecipientPolicy;
import io.postern.smtp.reply.Reply;
import io.postern.smtp.reply.SmtpReply;
import java.io.IOException;
import java.io.OutputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The filter step of {@link EndOfData} for a listener with milters: asks the chain about the
 * spooled message, then turns its verdict into what the session does. Refusals carry the
 * milter's own reply; a discard is answered like an accepted message and queues nothing; an
 * accepted or quarantined message is copied into the queue with the header and body edits
 * applied ({@link MessageRewriter}) and its envelope edited: a recipient a milter adds is
 * decided like RCPT ({@link RecipientPolicy}: an unknown local one is dropped, a remote one is
 * relayed only if the session may relay), each drop logged. Stateless; {@link #run} blocks and
 * runs off the event loop.
 */
final class MilterStep {
    private static final Logger LOG = LoggerFactory.getLogger(SmtpSessionHandler.class);

    /** What the session does with the message. */
    sealed interface Outcome {
        /** Answer {@code reply}, queue nothing; {@code byMilter} unless this node failed. */
        record Refused(Reply reply, boolean byMilter) implements Outcome {
        }

        /** Answer as if accepted, queue nothing. */
        record Discarded(String milter) implements Outcome {
        }

        /** Commit with {@code envelope} (the content is already in the message), held when quarantined. */
        record Queue(Envelope envelope, boolean held) implements Outcome {
        }
    }

    private final MilterChain chain;
    private final RecipientPolicy recipients;

    MilterStep(MilterChain chain, RecipientPolicy recipients) {
        this.chain = chain;
        this.recipients = recipients;
    }

    /**
     * Blocking, at most the milters' timeouts plus the copy. Never throws: a failure of this
     * node (disk, a milter edit that cannot be applied) is a temporary refusal.
     */
    Outcome run(MilterContext ctx, FilterSpool spool, IncomingMessage message, Envelope envelope,
                RecipientPolicy.Client who) {
        try {
            spool.finish();
            MilterVerdict verdict = chain.check(ctx, spool);
            return switch (verdict) {
                case MilterVerdict.Reject r -> new Outcome.Refused(reply(r.reply()), true);
                case MilterVerdict.TempFail t -> new Outcome.Refused(reply(t.reply()), true);
                case MilterVerdict.Discard d -> new Outcome.Discarded(d.milter());
                case MilterVerdict.Accept a -> queue(ctx, spool, message, envelope, who, a.modifications(), false);
                case MilterVerdict.Quarantine q -> queue(ctx, spool, message, envelope, who, q.modifications(), true);
            };
        } catch (SinkException e) {
            LogLine.event("filter-copy-failed").add("queue_id", ctx.queueId()).add("error", e.getMessage()).warn(LOG);
            return new Outcome.Refused(EndOfData.storageFailure(e), false);
        } catch (IOException | RuntimeException e) {
            LogLine.event("filter-failed").add("queue_id", ctx.queueId()).add("client", ctx.clientAddress())
                    .add("error", e.toString()).warn(LOG);
            return new Outcome.Refused(SmtpReply.LOCAL_ERROR.with(), false);
        } finally {
            spool.delete();
        }
    }

    /** A milter's reply as the client sees it: its code, status and text, as one line. */
    static Reply reply(MilterReply reply) {
        return new Reply(reply.code(), Optional.of(reply.status()), reply.text());
    }

    private Outcome queue(MilterContext ctx, FilterSpool spool, IncomingMessage message, Envelope envelope,
                          RecipientPolicy.Client who, List<Modification> edits, boolean held)
            throws IOException, SinkException {
        Envelope edited = edit(ctx, envelope, edits, who);
        if (edited.recipients().isEmpty()) {
            // Every recipient was deleted by the milters: nothing to queue, as a discard.
            LogLine.event("milter-no-recipients").add("queue_id", ctx.queueId()).add("client", ctx.clientAddress())
                    .info(LOG);
            return new Outcome.Discarded(edits.getLast().milter());
        }
        try (OutputStream out = new MessageOutput(message)) {
            MessageRewriter.write(spool, edits, out);
        } catch (MessageOutput.Failed e) {
            throw e.failure();
        }
        return new Outcome.Queue(edited, held);
    }

    /** The envelope with the milters' sender and recipient edits, in the order they asked. Blocking (directory). */
    private Envelope edit(MilterContext ctx, Envelope envelope, List<Modification> edits, RecipientPolicy.Client who) {
        Optional<MailAddress> sender = envelope.sender();
        List<EnvelopeRecipient> list = new ArrayList<>(envelope.recipients());
        for (Modification edit : edits) {
            switch (edit) {
                case Modification.ChangeSender c -> {
                    String bare = bare(c.address());
                    Optional<MailAddress> parsed = MailAddress.parse(bare);
                    if (bare.isEmpty() || parsed.isPresent()) {
                        sender = parsed;
                    } else {
                        dropped(ctx, c.milter(), "sender", c.address(), "not an address");
                    }
                }
                case Modification.AddRecipient a -> {
                    Optional<MailAddress> parsed = MailAddress.parse(bare(a.address()));
                    if (parsed.isEmpty()) {
                        dropped(ctx, a.milter(), "recipient", a.address(), "not an address");
                    } else if (list.stream().noneMatch(r -> r.address().key().equals(parsed.get().key()))) {
                        SmtpReply decided = recipients.decide(parsed.get(), who);
                        if (decided == SmtpReply.RECIPIENT_OK) {
                            list.add(EnvelopeRecipient.of(parsed.get()));
                        } else {
                            dropped(ctx, a.milter(), "recipient", a.address(), decided.name());
                        }
                    }
                }
                case Modification.DeleteRecipient d -> {
                    Optional<MailAddress> parsed = MailAddress.parse(bare(d.address()));
                    parsed.ifPresent(p -> list.removeIf(r -> r.address().key().equals(p.key())));
                }
                default -> {
                    // header and body edits: MessageRewriter
                }
            }
        }
        return new Envelope(sender, list, envelope.bodyType(), envelope.smtpUtf8(), envelope.dsnReturn(),
                envelope.dsnEnvelopeId(), envelope.trace());
    }

    private static void dropped(MilterContext ctx, String milter, String what, String address, String why) {
        LogLine.event("milter-edit-dropped").add("milter", milter).add("queue_id", ctx.queueId()).add("field", what)
                .add("address", address).add("reason", why).info(LOG);
    }

    /** {@code <a@b>} or {@code a@b}, trimmed, without the brackets. */
    static String bare(String address) {
        String s = address.strip();
        if (s.startsWith("<") && s.endsWith(">")) {
            s = s.substring(1, s.length() - 1).strip();
        }
        return s;
    }
}
