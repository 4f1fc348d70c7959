package io.postern.smtp.inbound.session;

import io.postern.config.ListenerKind;
import io.postern.config.SmtpConfig;
import io.postern.mail.Envelope;
import io.postern.mail.SinkException;
import io.postern.observability.LogLine;
import io.postern.smtp.inbound.codec.MessageStream;
import io.postern.smtp.inbound.command.Command;
import io.postern.smtp.reply.Reply;
import io.postern.smtp.reply.SmtpReply;
import java.io.IOException;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * DATA and BDAT: whether the message may start (recipients, no mixing of DATA and BDAT, the
 * sink opens), the sink's message with its Received header (and, on submission, the Date and
 * Message-ID it lacks), and the answer to each BDAT chunk. A BDAT chunk that is refused is still
 * read off the wire ({@link MessageIntake}) and answered after it (RFC 3030); after a failed
 * chunk the transaction is over. The octets themselves and the timeouts are the session's.
 * One per session, event loop only; its state is the session's transaction.
 */
final class MessageCommands {
    private static final Logger LOG = LoggerFactory.getLogger(SmtpSessionHandler.class);

    /** What DATA and BDAT need from the session. Every method runs on the event loop. */
    interface Session {
        Optional<Transaction> transaction();

        /** Drops the transaction (and the DATA phase's deadline). */
        void reset();

        /** 354 was sent: what follows is message text. */
        void dataMode();

        /** A BDAT chunk follows. */
        void chunkMode();

        /** The chunk was read: the next line is a command. */
        void commandMode();

        /** After {@code <CRLF>.<CRLF>} or BDAT LAST: the steps of {@link EndOfData}. */
        void endOfMessage();

        /** Who sent the message, as the Received header and the envelope record it. */
        Envelope.SessionTrace trace();

        /** The TLS part of the Received header ("using TLSv1.3 with cipher ..."), empty without TLS. */
        String tlsDescription();
    }

    private final SmtpServices services;
    private final SmtpConfig config;
    private final ListenerKind kind;
    private final MessageIntake intake;
    private final SessionOutput output;
    private final Session session;
    private final boolean filtered;

    /** {@code filtered}: the listener has milters, so each message waits in a {@link FilterSpool} for them. */
    MessageCommands(SmtpServices services, ListenerKind kind, MessageIntake intake, SessionOutput output,
                    Session session, boolean filtered) {
        this.services = services;
        this.config = services.smtp();
        this.kind = kind;
        this.intake = intake;
        this.output = output;
        this.session = session;
        this.filtered = filtered;
    }

    /** DATA, with a transaction open (the {@link CommandTable} checked it). */
    void data() {
        Transaction t = session.transaction().orElseThrow();
        if (t.recipients.isEmpty()) {
            output.error(SmtpReply.NO_VALID_RECIPIENTS);
            return;
        }
        if (t.usesBdat) {
            output.error(SmtpReply.MIXED_DATA_BDAT);
            return;
        }
        Optional<Reply> refused = open(t);
        if (refused.isPresent()) {
            session.reset();
            output.countedWrite(refused.get());
            return;
        }
        intake.startData(t);
        session.dataMode();
        output.reply(SmtpReply.START_DATA);
    }

    /** BDAT, in any state: its chunk follows on the wire whatever the answer will be. */
    void bdat(Command.Bdat bdat) {
        intake.startChunk(bdat.size(), bdat.last(), chunkRefusal());
        session.chunkMode();
        if (intake.chunkComplete()) {
            chunkDone();
        }
    }

    /** Why the chunk that follows a BDAT is to be read and discarded; empty when it belongs to the message. */
    private Optional<Reply> chunkRefusal() {
        Optional<Transaction> open = session.transaction();
        if (open.isEmpty()) {
            return Optional.of(SmtpReply.NEED_MAIL.with());
        }
        Transaction t = open.get();
        if (t.recipients.isEmpty()) {
            return Optional.of(SmtpReply.NO_VALID_RECIPIENTS.with());
        } else if (t.message == null && t.usesBdat) {
            return Optional.of(SmtpReply.BAD_SEQUENCE.with());
        } else if (t.message == null) {
            t.usesBdat = true;
            // When the sink refuses, the chunk still follows on the wire: read it, then answer.
            return open(t);
        } else if (!t.usesBdat) {
            return Optional.of(SmtpReply.MIXED_DATA_BDAT.with());
        }
        return Optional.empty();
    }

    /** The announced octets of a chunk were read. */
    void chunkDone() {
        session.commandMode();
        Optional<Reply> refused = intake.takeChunkRefusal();
        if (refused.isPresent()) {
            // RFC 3030: after a failed chunk the transaction is over; later chunks get 503.
            session.reset();
            output.countedWrite(refused.get());
            return;
        }
        Transaction t = session.transaction().orElseThrow();
        if (intake.lastChunk() || t.stream.problem().isPresent() || t.sinkFailure != null) {
            session.endOfMessage();
            return;
        }
        output.reply(SmtpReply.CHUNK_OK, t.stream.size());
    }

    /** Opens the sink and writes the Received header; the error reply when the sink refuses. */
    private Optional<Reply> open(Transaction t) {
        Envelope.SessionTrace trace = session.trace();
        Envelope envelope = new Envelope(t.sender, t.recipients, t.bodyType, t.smtpUtf8, t.dsnReturn, t.envelopeId,
                trace, t.handoffKey);
        try {
            t.message = services.sink().open(envelope);
            t.envelope = envelope;
            if (filtered) {
                // The milters read the message before it is queued: it waits aside until they answered.
                t.spool = FilterSpool.create(services.filters().spoolDirectory());
            }
        } catch (IOException e) {
            t.abort();
            LogLine.event("filter-spool-failed").add("error", e.toString()).warn(LOG);
            return Optional.of(SmtpReply.STORAGE_TEMP_FAIL.with());
        } catch (SinkException e) {
            LogLine.event("sink-open-failed").add("code", e.enhancedCode()).add("error", e.getMessage()).warn(LOG);
            return Optional.of(EndOfData.storageFailure(e));
        } catch (RuntimeException e) {
            LogLine.event("sink-open-failed").add("error", e.toString()).warn(LOG);
            return Optional.of(SmtpReply.LOCAL_ERROR.with());
        }
        MessageStream stream = new MessageStream(new MessageStream.Limits(config.maxMessageSize(),
                config.maxTextLine(), config.maxReceivedHeaders(),
                config.bareLineEndings() == SmtpConfig.BareLineEndings.NORMALIZE), t::write);
        if (kind == ListenerKind.SUBMISSION) {
            stream.onHeaderEnd(() -> TraceHeaders.missing(services.hostname(), stream.hasMessageId(), stream.hasDate(),
                    services.clock()));
        }
        byte[] received = TraceHeaders.received(services.hostname(), envelope, session.tlsDescription(),
                config.traceAuthenticatedUser(), services.clock());
        t.write(received, 0, received.length);
        t.stream = stream;
        return Optional.empty();
    }
}
