package io.postern.smtp.inbound.session;

import io.micrometer.core.instrument.Counter;
import io.postern.mail.Acceptance;
import io.postern.mail.DeliveryForecast;
import io.postern.mail.EnhancedStatus;
import io.postern.mail.Envelope;
import io.postern.mail.EnvelopeRecipient;
import io.postern.mail.IncomingMessage;
import io.postern.mail.MailAddress;
import io.postern.mail.RecipientOutcome;
import io.postern.mail.SinkException;
import io.postern.milter.MilterContext;
import io.postern.observability.LogLine;
import io.postern.smtp.inbound.codec.MessageStream;
import io.postern.smtp.inbound.policy.RecipientPolicy;
import io.postern.smtp.reply.Reply;
import io.postern.smtp.reply.SmtpReply;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.function.BiConsumer;
import java.util.function.Consumer;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The end of one message, after {@code <CRLF>.<CRLF>} or {@code BDAT LAST}, as a fixed sequence
 * of steps, each of which either answers the message with a refusal or hands it to the next:
 * <ol>
 * <li>{@link #received}: the stream's content checks (size, bare line endings, text lines, hop
 *     count) and the sink's write errors;</li>
 * <li>{@link #filter}: the message filter step (the place for a milter chain), before anything
 *     is committed;</li>
 * <li>{@link #beforeCommit}: SMTP refuses what local delivery would refuse for every recipient
 *     ({@link DeliveryForecast}); LMTP skips this, its answer is delivery's own. Told on the loop
 *     when the forecast needs no waiting (directory answers in memory, no quota to read), else
 *     asked off the loop;</li>
 * <li>{@link #commit}: the sink's commit, then the replies of the {@link ReplyStrategy}.</li>
 * </ol>
 * A refusal of the whole message is answered once in SMTP and once per recipient in LMTP, and
 * counts once against the error limit. One per session, used on its event loop only.
 */
final class EndOfData {
    // The session's logger: operators filter the session's lines by its name (operate.md).
    private static final Logger LOG = LoggerFactory.getLogger(SmtpSessionHandler.class);

    /** What the steps need from the session. Every method runs on the session's event loop. */
    interface Session {
        /** Off-loop work under the session's {@link io.postern.protocol.OffLoop} policy. */
        <T> void offload(Supplier<T> work, Consumer<T> then);

        /** Suspends the session until {@code future} completes, then runs {@code then} on the loop (if still open). */
        <T> void await(CompletableFuture<T> future, BiConsumer<T, Throwable> then);

        /** Runs {@code replies} with {@code t} named in the rejection lines, the transaction detached from the session. */
        void answering(Transaction t, Runnable replies);

        /** An error reply counted against the session's error limit. */
        void countedWrite(Reply reply);

        /** A reply line that is not counted (the further copies of one LMTP refusal). */
        void write(Reply reply);

        /** A reply naming {@code recipient} in its rejection line, if it is one. */
        void reply(Optional<MailAddress> recipient, Reply reply);

        boolean closed();

        String client();

        /** The sender a restricted group may believe: only that of a session that logged in. */
        Optional<MailAddress> verifiedSender(Transaction t);

        /** The message was answered or committed: the session has no transaction any more. */
        void detach();

        /** A message of {@code t} was accepted: counted against the authenticated sender's hourly limit. */
        void senderAccepted(Transaction t);

        /** What the milters learn about {@code t} and its session (macros). */
        MilterContext milterContext(Transaction t);

        /** The client as RCPT decides for it: for recipients a milter adds. */
        RecipientPolicy.Client recipientClient(Transaction t);
    }

    private final Session session;
    private final ReplyStrategy replies;
    private final DeliveryForecast forecast;
    private final Counter messagesAccepted;
    private final SessionSummary summary;
    private final Optional<MilterStep> milters;

    EndOfData(Session session, ReplyStrategy replies, DeliveryForecast forecast, Counter messagesAccepted,
              SessionSummary summary, Optional<MilterStep> milters) {
        this.session = session;
        this.milters = milters;
        this.replies = replies;
        this.forecast = forecast;
        this.messagesAccepted = messagesAccepted;
        this.summary = summary;
    }

    /** Step 1: the message is complete. */
    void received(Transaction t) {
        t.stream.finish();
        Optional<MessageStream.Problem> problem = t.stream.problem();
        if (problem.isEmpty() && t.sinkFailure == null) {
            filter(t);
            return;
        }
        t.abort();
        session.detach();
        if (problem.isPresent()) {
            SmtpReply reply = switch (problem.get()) {
                case TOO_BIG -> SmtpReply.MESSAGE_TOO_BIG;
                case BARE_LINE_ENDING -> SmtpReply.BARE_LINE_ENDING;
                case LINE_TOO_LONG -> SmtpReply.TEXT_LINE_TOO_LONG;
                case MAIL_LOOP -> SmtpReply.MAIL_LOOP;
            };
            LOG.debug("event=message-rejected client={} reason={}", session.client(), problem.get());
            session.answering(t, () -> refuse(t, reply.with()));
        } else {
            refuse(t, storageFailure(t.sinkFailure));
        }
    }

    /**
     * Step 2: the message filter step, with the complete message and nothing committed yet. A
     * filter that refuses calls {@code t.abort()}, {@code session.detach()} and answers with
     * {@code session.answering(t, () -> refuse(t, reply))}; one that accepts goes on to
     * {@link #beforeCommit}, off the loop through {@code session.offload} if it must wait.
     * With milters ({@link MilterStep}) the message was spooled aside: they read it off the loop,
     * and what they accept is copied into the message with their edits.
     */
    private void filter(Transaction t) {
        if (milters.isEmpty() || t.spool == null) {
            beforeCommit(t);
            return;
        }
        MilterContext ctx = session.milterContext(t);
        RecipientPolicy.Client who = session.recipientClient(t);
        FilterSpool spool = t.spool;
        IncomingMessage message = t.message;
        Envelope envelope = t.envelope;
        session.offload(() -> {
            // Taken here, not before: if the work never runs (the node is stopping), the session's abort drops it.
            if (!t.startFiltering()) {
                return new MilterStep.Outcome.Refused(SmtpReply.LOCAL_ERROR.with(), false);
            }
            MilterStep.Outcome outcome = milters.get().run(ctx, spool, message, envelope, who);
            t.filteringDone();
            return outcome;
        }, outcome -> {
            t.spool = null;
            switch (outcome) {
                case MilterStep.Outcome.Queue q -> {
                    t.filtered = q;
                    t.recipients.clear();
                    t.recipients.addAll(q.envelope().recipients());
                    beforeCommit(t);
                }
                case MilterStep.Outcome.Refused r -> {
                    t.abort();
                    t.refusedByFilter = r.byMilter();
                    session.detach();
                    session.answering(t, () -> refuse(t, r.reply()));
                }
                case MilterStep.Outcome.Discarded d -> {
                    t.abort();
                    session.detach();
                    LogLine.event("discarded").add("queue_id", ctx.queueId()).add("client", session.client())
                            .add("milter", d.milter()).info(LOG);
                    // The client is told what it would be told for an accepted message: a discard is silent.
                    Acceptance seen = new Acceptance(ctx.queueId(),
                            t.recipients.stream().map(r -> Acceptance.QUEUED).toList());
                    session.answering(t, () -> {
                        for (ReplyStrategy.Answer answer : replies.committed(t.recipients, seen)) {
                            if (session.closed()) {
                                return;
                            }
                            session.reply(answer.recipient(), answer.reply());
                        }
                    });
                }
            }
        });
    }

    /** Step 3: refuses before {@code 250} what local delivery would refuse for every recipient anyway. */
    private void beforeCommit(Transaction t) {
        if (!replies.forecasts() || forecast == DeliveryForecast.NONE) {
            commit(t);
            return;
        }
        Optional<MailAddress> verified = session.verifiedSender(t);
        long size = t.stream.size();
        Set<String> deliveredTo = Set.copyOf(t.stream.deliveredTo());
        Consumer<Optional<SmtpReply>> decided = refused -> {
            if (refused.isEmpty()) {
                commit(t);
                return;
            }
            t.abort();
            session.detach();
            LOG.debug("event=message-rejected client={} reason={}", session.client(), refused.get().name());
            session.answering(t, () -> refuse(t, refused.get().with()));
        };
        Optional<Optional<SmtpReply>> now = refusalNow(t, verified, size, deliveredTo);
        if (now.isPresent()) {
            decided.accept(now.get());
            return;
        }
        session.offload(() -> refusalBeforeCommit(t, verified, size, deliveredTo), decided);
    }

    /** Step 4: the sink's commit; the replies only once it has completed. */
    private void commit(Transaction t) {
        CompletableFuture<Acceptance> commit;
        try {
            commit = t.filtered == null ? t.message.commit()
                    : t.message.commit(t.filtered.envelope(), t.filtered.held());
        } catch (RuntimeException e) {
            commit = CompletableFuture.failedFuture(e);
        }
        session.await(commit, (acceptance, failure) -> {
            session.detach();
            if (failure != null) {
                t.abort();
                session.answering(t, () -> commitFailed(t, failure));
            } else {
                session.answering(t, () -> committed(t, acceptance));
            }
        });
    }

    private void committed(Transaction t, Acceptance acceptance) {
        messagesAccepted.increment();
        long accepted = acceptance.outcomes().isEmpty() ? t.recipients.size() : acceptance.outcomes().stream()
                .filter(o -> o instanceof RecipientOutcome.Succeeded).count();
        if (accepted > 0) {
            session.senderAccepted(t);
            summary.messages++;
            summary.recipients += (int) accepted;
            LogLine line = LogLine.event("accepted").add("proto", summary.proto())
                    .add("queue_id", acceptance.queueId())
                    .add("from", "<" + t.sender.map(MailAddress::toString).orElse("") + ">").add("rcpts", accepted)
                    .add("size", t.stream.size()).add("client", session.client());
            if (t.filtered != null && t.filtered.held()) {
                line.add("held", "quarantine"); // milter-quarantine names the milter and its reason
            }
            line.info(LOG);
        }
        for (ReplyStrategy.Answer answer : replies.committed(t.recipients, acceptance)) {
            if (session.closed()) {
                return;
            }
            session.reply(answer.recipient(), answer.reply());
        }
    }

    private void commitFailed(Transaction t, Throwable failure) {
        Throwable cause = failure instanceof CompletionException && failure.getCause() != null
                ? failure.getCause() : failure;
        LogLine.event("commit-failed").add("client", session.client()).add("error", cause.toString()).warn(LOG);
        refuse(t, cause instanceof SinkException sink ? storageFailure(sink) : SmtpReply.LOCAL_ERROR.with());
    }

    /** A refusal of the whole message: once in SMTP, once per accepted recipient in LMTP (RFC 2033 4.2). */
    void refuse(Transaction t, Reply refusal) {
        session.countedWrite(refusal);
        for (int i = 1; i < replies.copies(t.recipients.size()) && !session.closed(); i++) {
            session.write(refusal);
        }
    }

    /** 452 with the sink's own transient status; a status that is not transient becomes 4.3.1. */
    static Reply storageFailure(SinkException e) {
        EnhancedStatus status = Optional.of(e.enhancedCode()).filter(EnhancedStatus::isTransient)
                .orElse(SmtpReply.STORAGE_TEMP_FAIL.status().orElseThrow());
        return SmtpReply.STORAGE_TEMP_FAIL.withStatus(status);
    }

    /**
     * The refusal when local delivery would deliver this message to none of its recipients (each
     * one's mailboxes full, or already in its Delivered-To fields); empty when any recipient may
     * get it: SMTP answers the message once, so a partial failure is accepted and reported by DSN.
     * Blocking.
     */
    private Optional<SmtpReply> refusalBeforeCommit(Transaction t, Optional<MailAddress> verified, long size,
                                                    Set<String> deliveredTo) {
        Optional<SmtpReply> first = Optional.empty();
        for (EnvelopeRecipient r : t.recipients) {
            DeliveryForecast.Verdict verdict = forecast(session.client(), () -> forecast.atEndOfData(r.address(),
                    verified, t.sender, size, deliveredTo));
            if (verdict == DeliveryForecast.Verdict.DELIVERABLE) {
                return Optional.empty();
            }
            first = first.or(() -> Optional.of(forecastReply(verdict)));
        }
        return first;
    }

    /**
     * {@link #refusalBeforeCommit} told on the event loop, from the forecast's verdicts that need
     * no waiting (directory answers in memory, no spool to read): the outer Optional is empty when
     * any verdict cannot be told now, or a forecast throws (then it is asked off the loop, where a
     * failure is logged and counts as deliverable).
     */
    private Optional<Optional<SmtpReply>> refusalNow(Transaction t, Optional<MailAddress> verified, long size,
                                                     Set<String> deliveredTo) {
        Optional<SmtpReply> first = Optional.empty();
        try {
            for (EnvelopeRecipient r : t.recipients) {
                Optional<DeliveryForecast.Verdict> verdict = forecast.atEndOfDataNow(r.address(), verified, t.sender,
                        size, deliveredTo);
                if (verdict.isEmpty()) {
                    return Optional.empty();
                }
                if (verdict.get() == DeliveryForecast.Verdict.DELIVERABLE) {
                    return Optional.of(Optional.empty());
                }
                first = first.or(() -> Optional.of(forecastReply(verdict.get())));
            }
        } catch (RuntimeException e) {
            return Optional.empty();
        }
        return Optional.of(first);
    }

    /** A forecast that fails is no reason to refuse: the queue and delivery decide later, as without one. */
    static DeliveryForecast.Verdict forecast(String client, Supplier<DeliveryForecast.Verdict> question) {
        try {
            return question.get();
        } catch (RuntimeException e) {
            LogLine.event("forecast-failed").add("client", client).add("error", e.toString()).warn(LOG);
            return DeliveryForecast.Verdict.DELIVERABLE;
        }
    }

    static SmtpReply forecastReply(DeliveryForecast.Verdict verdict) {
        return switch (verdict) {
            case DELIVERABLE -> SmtpReply.RECIPIENT_OK;
            case MAILBOX_FULL -> SmtpReply.MAILBOX_FULL;
            case LOOP -> SmtpReply.DELIVERED_TO_LOOP;
        };
    }
}
