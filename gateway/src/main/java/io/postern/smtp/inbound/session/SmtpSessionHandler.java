package io.postern.smtp.inbound.session;

import io.micrometer.core.instrument.Counter;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.ssl.SslHandler;
import io.netty.util.concurrent.ScheduledFuture;
import io.postern.config.ListenerConfig;
import io.postern.config.ListenerKind;
import io.postern.config.SmtpConfig;
import io.postern.directory.Login;
import io.postern.mail.Acceptance;
import io.postern.mail.DeliveryForecast;
import io.postern.mail.Envelope;
import io.postern.mail.EnvelopeRecipient;
import io.postern.mail.MailAddress;
import io.postern.mail.SessionDrain;
import io.postern.mail.SinkException;
import io.postern.observability.LogLine;
import io.postern.sasl.LoginThrottle;
import io.postern.sasl.SaslExchange;
import io.postern.sasl.SaslStep;
import io.postern.smtp.SmtpReply;
import io.postern.smtp.SmtpServices;
import io.postern.smtp.inbound.codec.DataDecoder;
import io.postern.smtp.inbound.codec.LineFramer;
import io.postern.smtp.inbound.codec.MessageStream;
import io.postern.smtp.inbound.command.Command;
import io.postern.smtp.inbound.command.CommandParser;
import io.postern.smtp.inbound.command.EnvelopeParameters;
import io.postern.smtp.inbound.policy.AuthPolicy;
import io.postern.smtp.inbound.policy.RecipientPolicy;
import io.postern.smtp.inbound.policy.SenderAdmission;
import io.postern.smtp.inbound.policy.TrustedNetworks;
import io.postern.smtp.inbound.policy.SenderPolicy;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One SMTP, submission or LMTP session: framing, state machine, limits and timeouts. Input is
 * kept in one bounded buffer and consumed one unit at a time (command line, SASL line, DATA
 * bytes, BDAT chunk), so that pipelined commands are handled in order and a mode change (354,
 * BDAT, STARTTLS) applies to the very next byte. Directory look-ups, logins and commits run off
 * the event loop; while one is pending the session is suspended (reads paused, input kept).
 *
 * <p>Mutable, not thread-safe: every method runs on the channel's event loop.
 */
public final class SmtpSessionHandler extends ChannelInboundHandlerAdapter {
    private static final Logger LOG = LoggerFactory.getLogger(SmtpSessionHandler.class);
    private static final int SCRATCH = 8192;

    private enum Mode { COMMAND, AUTH, DATA, BDAT, CLOSED }

    private final ListenerConfig listener;
    private final SmtpServices services;
    private final SmtpConfig config;
    private final boolean lmtp;
    private final AuthPolicy authPolicy;
    private final AuthCommand auth;
    private final RecipientPolicy recipientPolicy;
    private final SenderPolicy senderPolicy;
    private final SenderAdmission senderAdmission;
    private final TrustedNetworks trustedNetworks;
    private final LineFramer framer = new LineFramer();
    private final Counter messagesAccepted;
    private final Counter errorReplies;
    private final SessionMeters meters;
    private final SessionSummary summary;

    private ChannelHandlerContext ctx;
    // Allocated on the first DATA/BDAT only: an idle session holds no more than its small input buffer.
    private byte[] scratch;
    private ByteBuf input;
    private InetAddress client;
    private boolean connectionCounted;
    private boolean greeted;
    private boolean suspended;
    // The node is stopping: the next command (or now, when the session waits for one) gets 421 4.3.2.
    private boolean draining;
    private Mode mode = Mode.COMMAND;
    private String heloName;
    private boolean extended;
    private boolean tlsActive;
    private Optional<Login.Identity> identity = Optional.empty();
    private Transaction transaction;
    private DataDecoder dataDecoder;
    private long bdatRemaining;
    private boolean bdatLast;
    private Optional<String> bdatDiscardReply = Optional.empty();
    private int errors;
    private long lastActivity;
    private long partialLineSince;
    private DataDeadline dataDeadline;
    private ScheduledFuture<?> timer;
    // For the event=rejected line: the verb being answered and, for RCPT and LMTP outcomes, the recipient.
    private String currentVerb = SessionMeters.UNKNOWN_COMMAND;
    private Optional<MailAddress> currentRecipient = Optional.empty();
    // The transaction whose end of data is being answered (already detached from the session).
    private Optional<Transaction> ending = Optional.empty();

    public SmtpSessionHandler(ListenerConfig listener, SmtpServices services) {
        this.listener = listener;
        this.services = services;
        this.config = services.smtp();
        this.lmtp = listener.kind() == ListenerKind.LMTP;
        this.authPolicy = new AuthPolicy(services.auth(), listener.kind());
        this.auth = new AuthCommand(listener.kind(), authPolicy, services.authFailures());
        this.recipientPolicy = new RecipientPolicy(services.directory(), new HashSet<>(services.domains()),
                services.relay(), !lmtp);
        this.senderPolicy = new SenderPolicy(services.directory(), new HashSet<>(services.domains()));
        this.senderAdmission = new SenderAdmission(senderPolicy, services.directory(), services.relay(),
                services.senderLimits());
        this.trustedNetworks = new TrustedNetworks(services.relay(), services.directory());
        this.messagesAccepted = services.meters().counter("postern.smtp.messages.accepted", "listener", listener.name());
        this.errorReplies = services.meters().counter("postern.smtp.replies.errors", "listener", listener.name());
        this.meters = new SessionMeters(services.meters(), listener.name());
        this.summary = new SessionSummary(listener.kind());
    }

    // ---- lifecycle -------------------------------------------------------------------------

    @Override
    public void handlerAdded(ChannelHandlerContext context) {
        this.ctx = context;
        this.input = context.alloc().heapBuffer(256);
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext context) {
        releaseInput();
    }

    private void releaseInput() {
        if (input != null && input.refCnt() > 0) {
            input.release();
        }
    }

    @Override
    public void channelActive(ChannelHandlerContext context) {
        services.meters().counter("postern.smtp.sessions", "listener", listener.name()).increment();
        client = context.channel().remoteAddress() instanceof InetSocketAddress a
                ? a.getAddress() : InetAddress.getLoopbackAddress();
        tlsActive = context.pipeline().get(SslHandler.class) != null;
        if (!services.connections().tryAcquire(listener, client)) {
            LOG.debug("event=connection-refused reason=limit client={} listener={}", client.getHostAddress(), listener.name());
            closeWith(SmtpReply.TOO_MANY_CONNECTIONS, services.hostname());
            return;
        }
        connectionCounted = true;
        lastActivity = now();
        armTimer();
        if (config.greetingDelay().isZero()) {
            greet();
        } else {
            context.executor().schedule(this::greet, config.greetingDelay().toMillis(), TimeUnit.MILLISECONDS);
        }
    }

    private void greet() {
        if (mode == Mode.CLOSED || !ctx.channel().isActive()) {
            return;
        }
        greeted = true;
        reply(lmtp ? SmtpReply.LMTP_GREETING : SmtpReply.GREETING, services.hostname());
        ctx.flush();
        process();
    }

    @Override
    public void channelInactive(ChannelHandlerContext context) {
        mode = Mode.CLOSED;
        if (transaction != null) {
            transaction.abort();
            transaction = null;
        }
        if (timer != null) {
            timer.cancel(false);
        }
        if (connectionCounted) {
            connectionCounted = false;
            services.connections().release(listener, client);
        }
        releaseInput();
        if (client != null) {
            summary.end(client.getHostAddress(), heloName == null ? "-" : heloName, tlsActive,
                    identity.map(Login.Identity::login).orElse("-")).ifPresent(line -> line.info(LOG));
        }
        context.fireChannelInactive();
    }

    @Override
    public void channelRead(ChannelHandlerContext context, Object msg) {
        if (!(msg instanceof ByteBuf bytes)) {
            context.fireChannelRead(msg);
            return;
        }
        try {
            if (mode == Mode.CLOSED) {
                return;
            }
            if (!greeted) {
                // An early talker does not wait for the greeting: a spam engine, not an MTA.
                LOG.debug("event=early-talker client={} listener={}", client.getHostAddress(), listener.name());
                closeWith(SmtpReply.EARLY_TALKER);
                return;
            }
            input.writeBytes(bytes);
        } finally {
            bytes.release();
        }
        process();
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext context, Object event) {
        if (event == SessionDrain.INSTANCE) {
            draining = true;
            if (!greeted || input.refCnt() == 0) {
                closeWith(SmtpReply.SHUTTING_DOWN, services.hostname());
            } else {
                process();
            }
            return;
        }
        context.fireUserEventTriggered(event);
    }

    /** True when the session was closed because the node drains and no command is in progress. */
    private boolean leftForDrain() {
        if (draining && !suspended && mode == Mode.COMMAND) {
            closeWith(SmtpReply.SHUTTING_DOWN, services.hostname());
            return true;
        }
        return false;
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext context, Throwable cause) {
        LogLine.event("session-error").add("client", client == null ? "?" : client.getHostAddress())
                .add("error", cause.toString()).debug(LOG);
        summary.endsWith(SessionSummary.Result.ERROR);
        mode = Mode.CLOSED;
        context.close();
    }

    // ---- input loop ------------------------------------------------------------------------

    private void process() {
        if (input.refCnt() == 0) {
            return;
        }
        if (leftForDrain()) {
            return;
        }
        boolean progress = true;
        while (progress && !suspended && mode != Mode.CLOSED && input.isReadable() && ctx.channel().isWritable()) {
            if (leftForDrain()) {
                return;
            }
            switch (mode) {
                case COMMAND, AUTH -> progress = readLine();
                case DATA -> readData();
                case BDAT -> readChunk();
                case CLOSED -> progress = false;
            }
        }
        boolean partial = input.isReadable() || framer.skipping();
        if (partial && mode == Mode.COMMAND && partialLineSince == 0) {
            partialLineSince = now();
        }
        input.discardSomeReadBytes();
        if (mode != Mode.CLOSED) {
            ctx.flush();
            // A message or command that was in progress at drain is answered: now say goodbye.
            leftForDrain();
        }
    }

    /** False when the input ends inside a line (wait for more). */
    private boolean readLine() {
        // RFC 4954 4: an AUTH command line with its initial response may be as long as a SASL line.
        boolean authLine = mode == Mode.COMMAND && LineFramer.startsWithIgnoreCase(input, "AUTH ");
        int max = mode == Mode.AUTH ? SaslExchange.MAX_LINE + 2
                : authLine ? Math.max(SaslExchange.MAX_LINE, config.maxCommandLine()) : config.maxCommandLine();
        switch (framer.next(input, max)) {
            case LineFramer.NeedMore n -> {
                return false;
            }
            case LineFramer.TooLong t -> {
                partialLineSince = 0;
                lastActivity = now();
                if (mode == Mode.AUTH) {
                    mode = Mode.COMMAND;
                    auth.abandon();
                } else {
                    currentVerb = authLine ? Command.Verb.AUTH.name() : SessionMeters.UNKNOWN_COMMAND;
                    currentRecipient = Optional.empty();
                }
                error(SmtpReply.LINE_TOO_LONG);
            }
            case LineFramer.Line(byte[] bytes) -> {
                partialLineSince = 0;
                // Only whole lines are activity: a byte every few seconds must not keep a session open.
                lastActivity = now();
                if (mode == Mode.AUTH) {
                    authNext(auth.respond(new String(bytes, StandardCharsets.US_ASCII)));
                } else {
                    Optional<Command.Verb> verb = CommandParser.verb(bytes);
                    verb.ifPresentOrElse(meters::command, meters::unknownCommand);
                    currentVerb = verb.map(Command.Verb::name).orElse(SessionMeters.UNKNOWN_COMMAND);
                    currentRecipient = Optional.empty();
                    handle(CommandParser.parse(bytes));
                }
            }
        }
        return true;
    }

    private byte[] scratch() {
        if (scratch == null) {
            scratch = new byte[SCRATCH];
        }
        return scratch;
    }

    private void readData() {
        byte[] buffer = scratch();
        int length = Math.min(input.readableBytes(), SCRATCH);
        input.getBytes(input.readerIndex(), buffer, 0, length);
        int consumed = dataDecoder.decode(buffer, 0, length);
        input.skipBytes(consumed);
        lastActivity = now();
        dataDeadline.received(consumed);
        if (dataDecoder.finished()) {
            dataDecoder = null;
            mode = Mode.COMMAND;
            endOfMessage();
        }
    }

    private void readChunk() {
        byte[] buffer = scratch();
        int length = (int) Math.min(Math.min(input.readableBytes(), SCRATCH), bdatRemaining);
        input.readBytes(buffer, 0, length);
        bdatRemaining -= length;
        lastActivity = now();
        dataDeadline.received(length);
        if (bdatDiscardReply.isEmpty()) {
            transaction.stream.write(buffer, 0, length);
        }
        if (bdatRemaining == 0) {
            chunkDone();
        }
    }

    // ---- commands --------------------------------------------------------------------------

    private void handle(Command command) {
        switch (command) {
            case Command.Invalid(SmtpReply reply) -> error(reply);
            case Command.Hello hello -> hello(hello);
            case Command.Mail mail -> mail(mail);
            case Command.Rcpt rcpt -> rcpt(rcpt);
            case Command.RcptPostmaster(var parameters) -> postmaster().ifPresentOrElse(
                    address -> rcpt(new Command.Rcpt(address, parameters)),
                    () -> error(SmtpReply.UNKNOWN_USER));
            case Command.Data d -> data();
            case Command.Bdat bdat -> bdat(bdat);
            case Command.Auth auth -> auth(auth);
            case Command.Simple(Command.Verb verb) -> simple(verb);
        }
    }

    private void simple(Command.Verb verb) {
        switch (verb) {
            case RSET -> {
                resetTransaction();
                reply(SmtpReply.RESET_OK);
            }
            case NOOP -> reply(SmtpReply.OK);
            case QUIT -> closeWith(SmtpReply.CLOSING, services.hostname());
            case VRFY -> reply(SmtpReply.VRFY);
            case EXPN -> error(SmtpReply.NOT_IMPLEMENTED);
            case HELP -> reply(SmtpReply.HELP);
            case STARTTLS -> startTls();
            default -> error(SmtpReply.UNKNOWN_COMMAND);
        }
    }

    private void hello(Command.Hello hello) {
        boolean allowed = lmtp ? hello.verb() == Command.Verb.LHLO : hello.verb() != Command.Verb.LHLO;
        if (!allowed) {
            error(SmtpReply.UNKNOWN_COMMAND);
            return;
        }
        resetTransaction();
        heloName = hello.clientName();
        extended = hello.verb() != Command.Verb.HELO;
        if (!extended) {
            reply(SmtpReply.HELO_OK, services.hostname());
            return;
        }
        List<String> lines = new ArrayList<>();
        lines.add("PIPELINING");
        lines.add("SIZE " + config.maxMessageSize());
        lines.add("8BITMIME");
        lines.add("SMTPUTF8");
        lines.add("ENHANCEDSTATUSCODES");
        lines.add("CHUNKING");
        lines.add("DSN");
        if (startTlsAvailable()) {
            lines.add("STARTTLS");
        }
        if (authPolicy.offered(tlsActive, client) && identity.isEmpty()) {
            lines.add("AUTH PLAIN LOGIN");
        }
        StringBuilder out = new StringBuilder(SmtpReply.EHLO_FIRST.continuation(services.hostname(),
                TraceHeaders.safe(heloName)));
        for (int i = 0; i < lines.size(); i++) {
            out.append(i == lines.size() - 1 ? SmtpReply.HELO_OK.line(lines.get(i))
                    : SmtpReply.HELO_OK.continuation(lines.get(i)));
        }
        write(out.toString());
    }

    private void mail(Command.Mail mail) {
        if (heloName == null) {
            error(SmtpReply.HELO_FIRST);
            return;
        }
        if (transaction != null) {
            error(SmtpReply.NESTED_MAIL);
            return;
        }
        if (listener.authRequired() && identity.isEmpty()) {
            error(SmtpReply.AUTH_REQUIRED);
            return;
        }
        EnvelopeParameters.Mail p;
        switch (EnvelopeParameters.mail(mail.parameters())) {
            case EnvelopeParameters.Result.Refused<EnvelopeParameters.Mail>(SmtpReply why) -> {
                error(why);
                return;
            }
            case EnvelopeParameters.Result.Ok<EnvelopeParameters.Mail>(EnvelopeParameters.Mail value) -> p = value;
        }
        if (p.declaredSize().orElse(0) > config.maxMessageSize()) {
            error(SmtpReply.MESSAGE_TOO_BIG);
            return;
        }
        if (!p.smtpUtf8() && mail.sender().map(SmtpSessionHandler::nonAscii).orElse(false)) {
            error(SmtpReply.UTF8_NEEDS_SMTPUTF8);
            return;
        }
        Transaction started = new Transaction(mail.sender(), p.bodyType(), p.smtpUtf8(), p.dsnReturn(),
                p.envelopeId());
        started.declaredSize = p.declaredSize().orElse(0);
        // Sender rules follow the login, not the listener: AUTH on the MX port gets submission's rules.
        if (identity.isPresent()) {
            Login.Identity who = identity.get();
            offload(() -> senderAdmission.atMail(who, mail.sender()), decision -> {
                started.senderRights = decision.rights();
                senderDecided(started, decision.reply(), who.login());
            });
            return;
        }
        if (!lmtp && config.rejectUnauthenticatedLocalSender() && mail.sender().isPresent()
                && !services.relay().trusts(client)) {
            MailAddress sender = mail.sender().get();
            InetAddress from = client;
            // Networks listed in the directory are trusted too (asked off the loop; unknown counts as untrusted).
            offload(() -> trustedNetworks.trustsOrClosed(from) ? SmtpReply.SENDER_OK
                    : senderPolicy.decideUnauthenticated(sender), answer -> senderDecided(started, answer));
            return;
        }
        transaction = started;
        reply(SmtpReply.SENDER_OK);
    }

    private void senderDecided(Transaction started, SmtpReply answer, Object... args) {
        if (answer == SmtpReply.SENDER_OK) {
            transaction = started;
            reply(answer);
        } else {
            error(answer, args);
        }
    }

    private void rcpt(Command.Rcpt rcpt) {
        if (transaction == null) {
            error(SmtpReply.NEED_MAIL);
            return;
        }
        if (transaction.message != null) {
            error(SmtpReply.BAD_SEQUENCE);
            return;
        }
        if (transaction.recipients.size() >= config.maxRecipients()) {
            error(SmtpReply.TOO_MANY_RECIPIENTS);
            return;
        }
        if (identity.isPresent() && transaction.recipients.size()
                >= senderAdmission.recipientsPerMessage(transaction.senderRights)) {
            // RFC 5321 4.5.3.1.10: the extra RCPTs get 452 and the transaction goes on.
            error(SmtpReply.SENDER_TOO_MANY_RECIPIENTS);
            return;
        }
        if (!transaction.smtpUtf8 && nonAscii(rcpt.recipient())) {
            error(SmtpReply.UTF8_NEEDS_SMTPUTF8);
            return;
        }
        EnvelopeParameters.Rcpt p;
        switch (EnvelopeParameters.rcpt(rcpt.parameters())) {
            case EnvelopeParameters.Result.Refused<EnvelopeParameters.Rcpt>(SmtpReply why) -> {
                error(why);
                return;
            }
            case EnvelopeParameters.Result.Ok<EnvelopeParameters.Rcpt>(EnvelopeParameters.Rcpt value) -> p = value;
        }
        EnvelopeRecipient recipient = new EnvelopeRecipient(rcpt.recipient(), p.dsnNotify(), p.originalRecipient());
        RecipientPolicy.Client who = new RecipientPolicy.Client(client, identity, transaction.sender);
        Transaction current = transaction;
        currentRecipient = Optional.of(rcpt.recipient());
        Optional<MailAddress> verified = verifiedSender(current);
        offload(() -> {
            SmtpReply decided = recipientPolicy.decide(rcpt.recipient(), who);
            // A mailbox that is full now is refused now, not bounced later (LMTP answers after DATA anyway).
            return decided != SmtpReply.RECIPIENT_OK || lmtp ? decided : forecastReply(forecast(() -> services
                    .forecast().atRecipient(rcpt.recipient(), verified, current.sender, current.declaredSize)));
        }, answer -> {
            if (answer != SmtpReply.RECIPIENT_OK) {
                error(answer);
            } else if (current != transaction) {
                error(SmtpReply.NEED_MAIL);
            } else {
                if (!current.hasRecipient(rcpt.recipient())) {
                    current.recipients.add(recipient);
                }
                reply(answer);
            }
        });
    }

    /** The postmaster of the first local domain (RFC 5321 4.5.1), resolved like any recipient. */
    private Optional<MailAddress> postmaster() {
        return services.domains().stream().findFirst().flatMap(d -> MailAddress.parse("postmaster@" + d));
    }

    private void data() {
        if (transaction == null) {
            error(SmtpReply.NEED_MAIL);
            return;
        }
        if (transaction.recipients.isEmpty()) {
            error(SmtpReply.NO_VALID_RECIPIENTS);
            return;
        }
        if (transaction.usesBdat) {
            error(SmtpReply.MIXED_DATA_BDAT);
            return;
        }
        Optional<String> refused = openMessage();
        if (refused.isPresent()) {
            resetTransaction();
            countedWrite(refused.get());
            return;
        }
        dataDecoder = new DataDecoder(transaction.stream::write);
        mode = Mode.DATA;
        dataDeadline = newDataDeadline();
        reply(SmtpReply.START_DATA);
    }

    private void bdat(Command.Bdat bdat) {
        if (dataDeadline == null) {
            // Also for a chunk that will be discarded: its octets can be trickled just the same.
            dataDeadline = newDataDeadline();
        }
        bdatRemaining = bdat.size();
        bdatLast = bdat.last();
        bdatDiscardReply = Optional.empty();
        if (transaction == null) {
            bdatDiscardReply = Optional.of(SmtpReply.NEED_MAIL.line());
        } else if (transaction.recipients.isEmpty()) {
            bdatDiscardReply = Optional.of(SmtpReply.NO_VALID_RECIPIENTS.line());
        } else if (transaction.message == null && transaction.usesBdat) {
            bdatDiscardReply = Optional.of(SmtpReply.BAD_SEQUENCE.line());
        } else if (transaction.message == null) {
            transaction.usesBdat = true;
            // When the sink refuses, the chunk still follows on the wire: read it, then answer.
            bdatDiscardReply = openMessage();
        } else if (!transaction.usesBdat) {
            bdatDiscardReply = Optional.of(SmtpReply.MIXED_DATA_BDAT.line());
        }
        mode = Mode.BDAT;
        if (bdatRemaining == 0) {
            chunkDone();
        }
    }

    private void chunkDone() {
        mode = Mode.COMMAND;
        if (bdatDiscardReply.isPresent()) {
            String why = bdatDiscardReply.get();
            bdatDiscardReply = Optional.empty();
            // RFC 3030: after a failed chunk the transaction is over; later chunks get 503.
            resetTransaction();
            countedWrite(why);
            return;
        }
        if (bdatLast) {
            endOfMessage();
            return;
        }
        Optional<MessageStream.Problem> problem = transaction.stream.problem();
        if (problem.isPresent() || transaction.sinkFailure != null) {
            endOfMessage();
            return;
        }
        reply(SmtpReply.CHUNK_OK, transaction.stream.size());
    }

    /** Opens the sink and writes the Received header; the error reply when the sink refuses. */
    private Optional<String> openMessage() {
        Envelope envelope = envelope();
        try {
            transaction.message = services.sink().open(envelope);
        } catch (SinkException e) {
            LogLine.event("sink-open-failed").add("code", e.enhancedCode()).add("error", e.getMessage()).warn(LOG);
            return Optional.of(SmtpReply.STORAGE_TEMP_FAIL.line(e.enhancedCode()));
        } catch (RuntimeException e) {
            LogLine.event("sink-open-failed").add("error", e.toString()).warn(LOG);
            return Optional.of(SmtpReply.LOCAL_ERROR.line());
        }
        Transaction t = transaction;
        MessageStream stream = new MessageStream(new MessageStream.Limits(config.maxMessageSize(),
                config.maxTextLine(), config.maxReceivedHeaders(),
                config.bareLineEndings() == SmtpConfig.BareLineEndings.NORMALIZE), t::write);
        if (listener.kind() == ListenerKind.SUBMISSION) {
            stream.onHeaderEnd(() -> TraceHeaders.missing(services.hostname(), stream.hasMessageId(), stream.hasDate(),
                    services.clock()));
        }
        byte[] received = TraceHeaders.received(services.hostname(), envelope, tlsDescription(),
                config.traceAuthenticatedUser(), services.clock());
        t.write(received, 0, received.length);
        t.stream = stream;
        return Optional.empty();
    }

    private Envelope envelope() {
        Envelope.SessionTrace trace = new Envelope.SessionTrace(client.getHostAddress(), client.getHostAddress(),
                heloName, protocolName(), identity.map(Login.Identity::login), tlsCipher(),
                services.clock().instant(), services.relay().trusts(client));
        return new Envelope(transaction.sender, transaction.recipients, transaction.bodyType, transaction.smtpUtf8,
                transaction.dsnReturn, transaction.envelopeId, trace);
    }

    /** The sender a restricted group may believe: only that of a session that logged in (checked at MAIL). */
    private Optional<MailAddress> verifiedSender(Transaction t) {
        return identity.isPresent() ? t.sender : Optional.empty();
    }

    /** A forecast that fails is no reason to refuse: the queue and delivery decide later, as without one. */
    private DeliveryForecast.Verdict forecast(Supplier<DeliveryForecast.Verdict> question) {
        try {
            return question.get();
        } catch (RuntimeException e) {
            LogLine.event("forecast-failed").add("client", client.getHostAddress()).add("error", e.toString()).warn(LOG);
            return DeliveryForecast.Verdict.DELIVERABLE;
        }
    }

    private static SmtpReply forecastReply(DeliveryForecast.Verdict verdict) {
        return switch (verdict) {
            case DELIVERABLE -> SmtpReply.RECIPIENT_OK;
            case MAILBOX_FULL -> SmtpReply.MAILBOX_FULL;
            case LOOP -> SmtpReply.DELIVERED_TO_LOOP;
        };
    }

    /**
     * The refusal when local delivery would deliver this message to none of its recipients (each
     * one's mailboxes full, or already in its Delivered-To fields); empty when any recipient may
     * get it: SMTP answers the message once, so a partial failure is accepted and reported by DSN.
     */
    private Optional<SmtpReply> refusalBeforeCommit(Transaction t, Optional<MailAddress> verified, long size,
                                                    java.util.Set<String> deliveredTo) {
        Optional<SmtpReply> first = Optional.empty();
        for (EnvelopeRecipient r : t.recipients) {
            DeliveryForecast.Verdict verdict = forecast(() -> services.forecast().atEndOfData(r.address(), verified,
                    t.sender, size, deliveredTo));
            if (verdict == DeliveryForecast.Verdict.DELIVERABLE) {
                return Optional.empty();
            }
            first = first.or(() -> Optional.of(forecastReply(verdict)));
        }
        return first;
    }

    /** After {@code <CRLF>.<CRLF>} or BDAT LAST: report a content problem, or commit and answer. */
    private void endOfMessage() {
        dataDeadline = null;
        Transaction t = transaction;
        t.stream.finish();
        Optional<MessageStream.Problem> problem = t.stream.problem();
        if (problem.isPresent() || t.sinkFailure != null) {
            t.abort();
            transaction = null;
            if (problem.isPresent()) {
                SmtpReply reply = switch (problem.get()) {
                    case TOO_BIG -> SmtpReply.MESSAGE_TOO_BIG;
                    case BARE_LINE_ENDING -> SmtpReply.BARE_LINE_ENDING;
                    case LINE_TOO_LONG -> SmtpReply.TEXT_LINE_TOO_LONG;
                    case MAIL_LOOP -> SmtpReply.MAIL_LOOP;
                };
                LOG.debug("event=message-rejected client={} reason={}", client.getHostAddress(), problem.get());
                answering(t, () -> perRecipient(t, reply.line()));
            } else {
                String code = t.sinkFailure.enhancedCode();
                perRecipient(t, SmtpReply.STORAGE_TEMP_FAIL.line(code));
            }
            return;
        }
        if (lmtp || services.forecast() == DeliveryForecast.NONE) {
            commit(t); // LMTP delivers before it answers: each recipient gets delivery's own verdict
            return;
        }
        Optional<MailAddress> verified = verifiedSender(t);
        long size = t.stream.size();
        java.util.Set<String> deliveredTo = java.util.Set.copyOf(t.stream.deliveredTo());
        offload(() -> refusalBeforeCommit(t, verified, size, deliveredTo), refused -> {
            if (refused.isEmpty()) {
                commit(t);
                return;
            }
            t.abort();
            transaction = null;
            LOG.debug("event=message-rejected client={} reason={}", client.getHostAddress(), refused.get().name());
            answering(t, () -> perRecipient(t, refused.get().line()));
        });
    }

    private void commit(Transaction t) {
        CompletableFuture<Acceptance> commit;
        try {
            commit = t.message.commit();
        } catch (RuntimeException e) {
            commit = CompletableFuture.failedFuture(e);
        }
        suspend();
        commit.whenComplete((acceptance, failure) -> onLoop(() -> {
            resume();
            if (mode == Mode.CLOSED) {
                return;
            }
            transaction = null;
            if (failure != null) {
                t.abort();
                answering(t, () -> commitFailed(t, failure));
            } else {
                answering(t, () -> committed(t, acceptance));
            }
            process();
        }));
    }

    /** Runs {@code replies} with {@code t} as the transaction that rejection lines name. */
    private void answering(Transaction t, Runnable replies) {
        ending = Optional.of(t);
        try {
            replies.run();
        } finally {
            ending = Optional.empty();
        }
    }

    private void committed(Transaction t, Acceptance acceptance) {
        messagesAccepted.increment();
        long accepted = acceptance.outcomes().isEmpty() ? t.recipients.size() : acceptance.outcomes().stream()
                .filter(o -> o instanceof Acceptance.RecipientOutcome.Accepted).count();
        if (accepted > 0) {
            identity.ifPresent(who -> senderAdmission.accepted(who, t.senderRights));
            summary.messages++;
            summary.recipients += (int) accepted;
            LogLine.event("accepted").add("proto", summary.proto()).add("queue_id", acceptance.queueId())
                    .add("from", "<" + t.sender.map(MailAddress::toString).orElse("") + ">").add("rcpts", accepted)
                    .add("size", t.stream.size()).add("client", client.getHostAddress()).info(LOG);
        }
        if (!lmtp) {
            boolean anyAccepted = acceptance.outcomes().isEmpty() || acceptance.outcomes().stream()
                    .anyMatch(o -> o instanceof Acceptance.RecipientOutcome.Accepted);
            if (anyAccepted) {
                reply(SmtpReply.QUEUED, acceptance.queueId());
            } else {
                outcome(acceptance.outcomes().getFirst(), t.recipients.getFirst().address(), acceptance.queueId());
            }
            return;
        }
        for (int i = 0; i < t.recipients.size(); i++) {
            MailAddress rcpt = t.recipients.get(i).address();
            if (i < acceptance.outcomes().size()) {
                outcome(acceptance.outcomes().get(i), rcpt, acceptance.queueId());
            } else {
                error(SmtpReply.LOCAL_ERROR);
            }
        }
    }

    private void outcome(Acceptance.RecipientOutcome outcome, MailAddress rcpt, String queueId) {
        currentRecipient = Optional.of(rcpt);
        switch (outcome) {
            case Acceptance.RecipientOutcome.Accepted a -> reply(SmtpReply.DELIVERED, "<" + rcpt + ">", queueId);
            case Acceptance.RecipientOutcome.TempFailed(String code, String reason) ->
                    countedWrite(SmtpReply.custom(code.startsWith("4.2.2") || code.startsWith("4.3.1") ? 452 : 451,
                            code, "<" + rcpt + "> " + reason));
            case Acceptance.RecipientOutcome.PermFailed(int replyCode, String code, String reason) ->
                    countedWrite(SmtpReply.custom(replyCode, code, "<" + rcpt + "> " + reason));
        }
    }

    private void commitFailed(Transaction t, Throwable failure) {
        Throwable cause = failure instanceof CompletionException && failure.getCause() != null
                ? failure.getCause() : failure;
        LogLine.event("commit-failed").add("client", client.getHostAddress()).add("error", cause.toString()).warn(LOG);
        if (cause instanceof SinkException sink) {
            perRecipient(t, SmtpReply.STORAGE_TEMP_FAIL.line(sink.enhancedCode()));
        } else {
            perRecipient(t, SmtpReply.LOCAL_ERROR.line());
        }
    }

    /**
     * SMTP answers a message once; LMTP once per accepted recipient (RFC 2033 4.2). The failure
     * counts once against the error limit, so that a session is not cut off in the middle of its
     * per-recipient replies.
     */
    private void perRecipient(Transaction t, String errorLine) {
        countedWrite(errorLine);
        for (int i = 1; lmtp && i < t.recipients.size() && mode != Mode.CLOSED; i++) {
            write(errorLine);
        }
    }

    // ---- STARTTLS and AUTH -----------------------------------------------------------------

    private boolean startTlsAvailable() {
        return TlsUpgrade.available(tlsActive, listener.tls(), services.tls());
    }

    private void startTls() {
        Optional<SmtpReply> refused = TlsUpgrade.refusal(tlsActive, listener.tls(), services.tls(),
                transaction != null);
        if (refused.isPresent()) {
            error(refused.get());
            return;
        }
        SslHandler ssl = TlsUpgrade.install(ctx, services.tls().orElseThrow());
        write(SmtpReply.START_TLS.line());
        ctx.flush();
        int injected = TlsUpgrade.discardPipelined(input, framer);
        if (injected > 0) {
            LOG.info("event=starttls-injection-discarded client={} bytes={}", client.getHostAddress(), injected);
        }
        tlsActive = true;
        heloName = null;
        extended = false;
        identity = Optional.empty();
        resetTransaction();
        ssl.handshakeFuture().addListener(f -> {
            if (!f.isSuccess()) {
                summary.endsWith(SessionSummary.Result.TLS_FAILED);
                mode = Mode.CLOSED;
                ctx.close();
            }
        });
    }

    private void auth(Command.Auth command) {
        authNext(auth.start(command, new AuthCommand.Session(lmtp, heloName != null && extended,
                identity.isPresent(), transaction != null, tlsActive, client)));
    }

    private void authNext(AuthCommand.Next next) {
        switch (next) {
            case AuthCommand.Answer(SmtpReply answer) -> {
                mode = Mode.COMMAND;
                reply(answer);
            }
            case AuthCommand.Challenge(String base64) -> {
                mode = Mode.AUTH;
                reply(SmtpReply.AUTH_CHALLENGE, base64);
            }
            case AuthCommand.Verify(SaslStep.Credentials credentials, LoginThrottle.Attempt attempt, Duration delay) -> {
                mode = Mode.COMMAND;
                // The attempt is settled where the answer is known, even if the session is gone by then.
                after(delay, attempt::abandoned, () -> offload(() -> checkLogin(credentials, attempt),
                        this::loginResult));
            }
            case AuthCommand.Locked(SmtpReply reply, Duration delay) -> {
                mode = Mode.COMMAND;
                after(delay, () -> { }, () -> error(reply));
            }
            case AuthCommand.Close(SmtpReply reply) -> closeWith(reply, services.hostname());
        }
    }

    /** Blocking: the directory's answer, with the throttle's reservation settled by it. */
    private Login checkLogin(SaslStep.Credentials credentials, LoginThrottle.Attempt attempt) {
        Login login;
        try {
            login = services.directory().authenticate(credentials.login(), credentials.password());
        } catch (RuntimeException e) {
            attempt.abandoned();
            throw e;
        }
        switch (login) {
            case Login.Succeeded s -> attempt.succeeded();
            case Login.Failed f -> attempt.failed();
            case Login.TempFail t -> attempt.abandoned();
        }
        return login;
    }

    /**
     * Runs {@code then} after the throttle's {@code delay}, on the channel's scheduler: the event
     * loop never sleeps, the session is suspended meanwhile. {@code gone} runs instead when the
     * session ended while waiting.
     */
    private void after(Duration delay, Runnable gone, Runnable then) {
        if (delay.isZero()) {
            then.run();
            return;
        }
        suspend();
        ctx.executor().schedule(() -> {
            resume();
            if (mode == Mode.CLOSED) {
                gone.run();
                return;
            }
            then.run();
            process();
        }, delay.toNanos(), TimeUnit.NANOSECONDS);
    }

    private void loginResult(Login login) {
        switch (login) {
            case Login.Succeeded(Login.Identity who) -> {
                identity = Optional.of(who);
                LogLine.event("auth-ok").add("client", client.getHostAddress()).add("login", who.login()).info(LOG);
                reply(SmtpReply.AUTH_OK);
            }
            case Login.TempFail t -> error(SmtpReply.AUTH_TEMP_FAIL);
            case Login.Failed(Login.Reason reason) -> {
                // Unknown user and wrong password look the same to the client; only the log knows.
                LOG.info("event=auth-failed client={} reason={}", client.getHostAddress(), reason);
                error(SmtpReply.AUTH_FAILED);
            }
        }
    }

    // ---- helpers ---------------------------------------------------------------------------

    private void resetTransaction() {
        dataDeadline = null;
        if (transaction != null) {
            transaction.abort();
            transaction = null;
        }
    }

    private String protocolName() {
        if (lmtp) {
            return tlsActive ? "LMTPS" : "LMTP";
        }
        if (!extended) {
            return "SMTP";
        }
        return "ESMTP" + (tlsActive ? "S" : "") + (identity.isPresent() ? "A" : "");
    }

    private Optional<String> tlsCipher() {
        SslHandler ssl = ctx.pipeline().get(SslHandler.class);
        if (ssl == null || ssl.engine().getSession() == null) {
            return Optional.empty();
        }
        String cipher = ssl.engine().getSession().getCipherSuite();
        return cipher == null || cipher.startsWith("SSL_NULL") ? Optional.empty() : Optional.of(cipher);
    }

    private String tlsDescription() {
        SslHandler ssl = ctx.pipeline().get(SslHandler.class);
        return tlsCipher().map(c -> "using " + ssl.engine().getSession().getProtocol() + " with cipher " + c).orElse("");
    }

    private static boolean nonAscii(MailAddress address) {
        return !StandardCharsets.US_ASCII.newEncoder().canEncode(address.toString());
    }

    private <T> void offload(Supplier<T> work, Consumer<T> then) {
        suspend();
        CompletableFuture.supplyAsync(work, services.blocking()).whenComplete((value, failure) -> onLoop(() -> {
            resume();
            if (mode == Mode.CLOSED) {
                return;
            }
            if (failure != null) {
                LogLine.event("lookup-failed").add("client", client.getHostAddress()).add("error", failure.toString())
                        .warn(LOG);
                error(SmtpReply.LOCAL_ERROR);
            } else {
                then.accept(value);
            }
            process();
        }));
    }

    private void onLoop(Runnable task) {
        if (ctx.executor().inEventLoop()) {
            task.run();
        } else {
            ctx.executor().execute(task);
        }
    }

    private void suspend() {
        suspended = true;
        ctx.channel().config().setAutoRead(false);
    }

    private void resume() {
        suspended = false;
        lastActivity = now();
        if (mode != Mode.CLOSED) {
            ctx.channel().config().setAutoRead(ctx.channel().isWritable());
        }
    }

    /**
     * A client that pipelines commands but does not read the replies would make them pile up in
     * memory: reading (and answering) pauses until it has read them. If it never does, the idle
     * timeout ends the session.
     */
    @Override
    public void channelWritabilityChanged(ChannelHandlerContext context) {
        boolean writable = context.channel().isWritable();
        if (mode != Mode.CLOSED && !suspended) {
            context.channel().config().setAutoRead(writable);
            if (writable) {
                process();
            }
        }
        context.fireChannelWritabilityChanged();
    }

    private void reply(SmtpReply reply, Object... args) {
        if (reply.isError()) {
            error(reply, args);
        } else {
            write(reply.line(args));
        }
    }

    /** An error reply; too many of them end the session (421). */
    private void error(SmtpReply reply, Object... args) {
        countedWrite(reply.line(args));
    }

    private void countedWrite(String line) {
        if (mode == Mode.CLOSED) {
            return;
        }
        write(line);
        errorReplies.increment();
        rejected(line);
        if (++errors >= config.maxErrors()) {
            LOG.debug("event=too-many-errors client={} errors={}", client.getHostAddress(), errors);
            closeWith(SmtpReply.TOO_MANY_ERRORS, services.hostname());
        }
    }

    private void write(String text) {
        meters.reply(ReplyLine.of(text));
        ctx.write(Unpooled.copiedBuffer(text, StandardCharsets.UTF_8));
    }

    /**
     * One {@code event=rejected} line per refused command, recipient or message. Only the verb,
     * the addresses and the reply code are logged: never an AUTH argument or a message line.
     */
    private void rejected(String line) {
        ReplyLine reply = ReplyLine.of(line);
        RejectReason reason = RejectReason.of(reply.code(), reply.enhanced());
        meters.rejected(reason);
        if (reason.message()) {
            summary.rejected++;
        }
        LogLine log = LogLine.event("rejected").add("proto", summary.proto()).add("code", reply.code())
                .add("dsn", reply.enhanced().isEmpty() ? "-" : reply.enhanced()).add("reason", reason.tag())
                .add("command", currentVerb).add("client", client.getHostAddress());
        Optional.ofNullable(transaction).or(() -> ending).ifPresent(t ->
                log.add("from", "<" + t.sender.map(MailAddress::toString).orElse("") + ">"));
        currentRecipient.ifPresent(r -> log.add("to", "<" + r + ">"));
        log.info(LOG);
    }

    private void closeWith(SmtpReply reply, Object... args) {
        if (mode == Mode.CLOSED) {
            return;
        }
        mode = Mode.CLOSED;
        summary.endsWith(switch (reply) {
            case CLOSING -> SessionSummary.Result.QUIT;
            case TIMEOUT, DATA_TOO_SLOW -> SessionSummary.Result.TIMEOUT;
            case TOO_MANY_CONNECTIONS -> SessionSummary.Result.LIMIT;
            case TOO_MANY_ERRORS -> SessionSummary.Result.ERRORS;
            case TOO_MANY_AUTH_FAILURES -> SessionSummary.Result.AUTH_LIMIT;
            case EARLY_TALKER -> SessionSummary.Result.EARLY_TALKER;
            case SHUTTING_DOWN -> SessionSummary.Result.SHUTDOWN;
            default -> SessionSummary.Result.DROPPED;
        });
        resetTransaction();
        String line = reply.line(args);
        meters.reply(ReplyLine.of(line));
        ctx.writeAndFlush(Unpooled.copiedBuffer(line, StandardCharsets.UTF_8))
                .addListener(ChannelFutureListener.CLOSE);
        if (!ctx.channel().isWritable()) {
            // The client is not reading: the last reply would never be written, and the close never come.
            ctx.close();
        }
    }

    // ---- timeouts --------------------------------------------------------------------------

    /** The event loop's clock: tests drive it (Netty's embedded channel), production reads System.nanoTime. */
    private long now() {
        return ctx.executor().ticker().nanoTime();
    }

    private DataDeadline newDataDeadline() {
        return new DataDeadline(now(), config.dataTimeout(), config.dataTotalTimeout(), config.minDataRate());
    }

    private void armTimer() {
        long now = now();
        long due = lastActivity + timeoutNanos();
        if (partialLineSince != 0 && mode == Mode.COMMAND) {
            due = Math.min(due, partialLineSince + config.commandTimeout().toNanos());
        }
        if (dataDeadline != null) {
            due = Math.min(due, dataDeadline.due());
        }
        // The mode may change before the deadline (DATA, a partial line): never sleep past the shortest timeout.
        long shortest = Math.min(config.idleTimeout().toNanos(),
                Math.min(config.dataTimeout().toNanos(), config.commandTimeout().toNanos()));
        long wait = Math.min(due - now, shortest);
        timer = ctx.executor().schedule(this::checkTimeout, Math.max(wait, TimeUnit.MILLISECONDS.toNanos(10)),
                TimeUnit.NANOSECONDS);
    }

    private long timeoutNanos() {
        return (mode == Mode.DATA || mode == Mode.BDAT ? config.dataTimeout() : config.idleTimeout()).toNanos();
    }

    private void checkTimeout() {
        if (mode == Mode.CLOSED) {
            return;
        }
        long now = now();
        if (!suspended && dataDeadline != null && dataDeadline.passed(now)) {
            LOG.debug("event=timeout client={} mode={} data_too_slow=true", client.getHostAddress(), mode);
            closeWith(SmtpReply.DATA_TOO_SLOW, services.hostname());
            return;
        }
        boolean idle = !suspended && now - lastActivity >= timeoutNanos();
        boolean slowCommand = !suspended && mode == Mode.COMMAND && partialLineSince != 0
                && now - partialLineSince >= config.commandTimeout().toNanos();
        if (idle || slowCommand) {
            LOG.debug("event=timeout client={} mode={} slow_command={}", client.getHostAddress(), mode, slowCommand);
            closeWith(SmtpReply.TIMEOUT, services.hostname());
            return;
        }
        if (suspended) {
            lastActivity = now;
        }
        armTimer();
    }
}
