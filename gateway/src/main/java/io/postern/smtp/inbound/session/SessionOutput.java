package io.postern.smtp.inbound.session;

import io.micrometer.core.instrument.Counter;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.postern.mail.EnhancedStatus;
import io.postern.mail.MailAddress;
import io.postern.observability.LogLine;
import io.postern.smtp.reply.Reply;
import io.postern.smtp.reply.SmtpReply;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Everything one session writes: replies (counted by code in the meters), error replies (counted
 * against {@code maxErrors}; the one that reaches it ends the session with {@code 421}), one
 * {@code event=rejected} line per refusal (verb, addresses and code only: never an AUTH argument
 * or a message line), and the last reply before a close, with the session's end result. Writes
 * are not flushed here: the session flushes once per batch of input. Mutable, one per session,
 * event loop only.
 */
final class SessionOutput {
    // The session's logger: operators filter the session's lines by its name (operate.md).
    private static final Logger LOG = LoggerFactory.getLogger(SmtpSessionHandler.class);

    /** What the output needs from the session. */
    interface Session {
        boolean closed();

        /** The session is closing: no further input, the transaction (if any) dropped. */
        void closing();

        Optional<Transaction> transaction();
    }

    private final SessionMeters meters;
    private final Counter errorReplies;
    private final int maxErrors;
    private final SessionSummary summary;
    private final String hostname;
    private final Session session;
    private ChannelHandlerContext ctx;
    private InetAddress client;
    private int errors;
    // For the event=rejected line: the verb being answered and, for RCPT and LMTP outcomes, the recipient.
    private String verb = SessionMeters.UNKNOWN_COMMAND;
    private Optional<MailAddress> recipient = Optional.empty();
    // The transaction whose end of data is being answered (already detached from the session).
    private Optional<Transaction> ending = Optional.empty();

    SessionOutput(SessionMeters meters, Counter errorReplies, int maxErrors, SessionSummary summary, String hostname,
                  Session session) {
        this.meters = meters;
        this.errorReplies = errorReplies;
        this.maxErrors = maxErrors;
        this.summary = summary;
        this.hostname = hostname;
        this.session = session;
    }

    void bind(ChannelHandlerContext context, InetAddress clientAddress) {
        this.ctx = context;
        this.client = clientAddress;
    }

    /** The verb now answered (for the rejection lines); no recipient named yet. */
    void answeringVerb(String name) {
        verb = name;
        recipient = Optional.empty();
    }

    /** The recipient the next replies are about, if any. */
    void naming(Optional<MailAddress> address) {
        recipient = address;
    }

    /** Runs {@code replies} with {@code t} as the transaction that rejection lines name. */
    void answering(Transaction t, Runnable replies) {
        ending = Optional.of(t);
        try {
            replies.run();
        } finally {
            ending = Optional.empty();
        }
    }

    void reply(SmtpReply reply, Object... args) {
        reply(reply.with(args));
    }

    /** A reply; an error one is counted like {@link #error}. */
    void reply(Reply reply) {
        if (reply.isError()) {
            countedWrite(reply);
        } else {
            write(reply.line());
        }
    }

    /** An error reply; too many of them end the session (421). */
    void error(SmtpReply reply, Object... args) {
        countedWrite(reply.with(args));
    }

    void countedWrite(Reply reply) {
        if (session.closed()) {
            return;
        }
        write(reply.line());
        errorReplies.increment();
        rejected(reply);
        if (++errors >= maxErrors) {
            LOG.debug("event=too-many-errors client={} errors={}", client.getHostAddress(), errors);
            closeWith(SmtpReply.TOO_MANY_ERRORS, hostname);
        }
    }

    /** A reply line as it is, not counted as an error. */
    void write(String text) {
        meters.reply(ReplyLine.of(text));
        ctx.write(Unpooled.copiedBuffer(text, StandardCharsets.UTF_8));
    }

    /** The last reply: written, flushed, then the connection closed. */
    void closeWith(SmtpReply reply, Object... args) {
        if (session.closed()) {
            return;
        }
        summary.endsWith(switch (reply) {
            case CLOSING -> SessionSummary.Result.QUIT;
            case TIMEOUT, DATA_TOO_SLOW -> SessionSummary.Result.TIMEOUT;
            case TOO_MANY_ERRORS -> SessionSummary.Result.ERRORS;
            case TOO_MANY_AUTH_FAILURES -> SessionSummary.Result.AUTH_LIMIT;
            case EARLY_TALKER -> SessionSummary.Result.EARLY_TALKER;
            case SHUTTING_DOWN -> SessionSummary.Result.SHUTDOWN;
            default -> SessionSummary.Result.DROPPED;
        });
        session.closing();
        String line = reply.line(args);
        meters.reply(ReplyLine.of(line));
        ctx.writeAndFlush(Unpooled.copiedBuffer(line, StandardCharsets.UTF_8))
                .addListener(ChannelFutureListener.CLOSE);
        if (!ctx.channel().isWritable()) {
            // The client is not reading: the last reply would never be written, and the close never come.
            ctx.close();
        }
    }

    private void rejected(Reply reply) {
        String enhanced = reply.status().map(EnhancedStatus::toString).orElse("");
        // A milter's reply may use any code (554 5.7.1 is also "relay denied"): its reason is the filter.
        RejectReason reason = ending.filter(t -> t.refusedByFilter).isPresent() ? RejectReason.FILTER
                : RejectReason.of(reply.code(), reply.status());
        meters.rejected(reason);
        if (reason.message()) {
            summary.rejected++;
        }
        LogLine log = LogLine.event("rejected").add("proto", summary.proto()).add("code", reply.code())
                .add("dsn", enhanced.isEmpty() ? "-" : enhanced).add("reason", reason.tag())
                .add("command", verb).add("client", client.getHostAddress());
        session.transaction().or(() -> ending).ifPresent(t ->
                log.add("from", "<" + t.sender.map(MailAddress::toString).orElse("") + ">"));
        recipient.ifPresent(r -> log.add("to", "<" + r + ">"));
        log.info(LOG);
    }
}
