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
import io.postern.mail.EnhancedStatus;
import io.postern.mail.Envelope;
import io.postern.mail.MailAddress;
import io.postern.mail.SessionDrain;
import io.postern.mail.SinkException;
import io.postern.milter.MilterChain;
import io.postern.milter.MilterContext;
import io.postern.net.ClientAddress;
import io.postern.observability.LogLine;
import io.postern.sasl.LoginThrottle;
import io.postern.sasl.SaslExchange;
import io.postern.sasl.SaslStep;
import io.postern.protocol.OffLoop;
import io.postern.smtp.reply.Reply;
import io.postern.smtp.reply.SmtpReply;
import io.postern.smtp.inbound.codec.LineFramer;
import io.postern.smtp.inbound.codec.MessageStream;
import io.postern.smtp.inbound.command.Command;
import io.postern.smtp.inbound.command.CommandParser;
import io.postern.smtp.inbound.policy.AuthPolicy;
import io.postern.smtp.inbound.policy.RecipientPolicy;
import io.postern.smtp.inbound.policy.SenderAdmission;
import io.postern.smtp.inbound.policy.TrustedNetworks;
import io.postern.smtp.inbound.policy.SenderAdmission;
import io.postern.smtp.inbound.policy.SenderPolicy;
import io.postern.smtp.inbound.policy.TrustedNetworks;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.BiConsumer;
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

    private enum Mode { COMMAND, AUTH, DATA, BDAT, CLOSED }

    private final ListenerConfig listener;
    private final SmtpServices services;
    private final SmtpConfig config;
    private final ReplyStrategy replies;
    private OffLoop offLoop;
    private final AuthPolicy authPolicy;
    private final AuthCommand auth;
    private final SenderAdmission senderAdmission;
    private final MailCommand mailCommand;
    private final RcptCommand rcptCommand;
    private final EnvelopeSession envelopeSession = new EnvelopeSessionView();
    private final LineFramer framer = new LineFramer();
    private final MessageIntake intake = new MessageIntake();
    private final Counter messagesAccepted;
    private final Counter errorReplies;
    private final SessionMeters meters;
    private final SessionSummary summary;
    private final EndOfData endOfData;
    private final RecipientPolicy recipientPolicy;
    // The listener's milters; the contexts they heard this session's connect and HELO with,
    // so that their connections are ended with the session (one per HELO/TLS state).
    private final MilterChain milters;
    private final Map<String, MilterContext> milterSessions = new HashMap<>();
    private Optional<String> authMechanism = Optional.empty();

    private ChannelHandlerContext ctx;
    private ByteBuf input;
    private InetAddress client;
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
        this.replies = ReplyStrategy.of(listener.kind());
        this.authPolicy = new AuthPolicy(services.auth(), listener.kind());
        this.auth = new AuthCommand(listener.kind(), authPolicy, services.authFailures());
        SenderPolicy senderPolicy = new SenderPolicy(services.directory(), new HashSet<>(services.domains()));
        this.senderAdmission = new SenderAdmission(senderPolicy, services.directory(), services.relay(),
                services.senderLimits());
        this.mailCommand = new MailCommand(config, senderPolicy, senderAdmission,
                new TrustedNetworks(services.relay(), services.directory()), services, replies);
        this.recipientPolicy = new RecipientPolicy(services.directory(), new HashSet<>(services.domains()),
                services.relay(), replies.relays());
        this.rcptCommand = new RcptCommand(config, recipientPolicy, senderAdmission, services, replies);
        this.milters = services.filters().chainOf(listener.name());
        this.messagesAccepted = services.meters().counter("postern.smtp.messages.accepted", "listener", listener.name());
        this.errorReplies = services.meters().counter("postern.smtp.replies.errors", "listener", listener.name());
        this.meters = new SessionMeters(services.meters(), listener.name());
        this.summary = new SessionSummary(listener.kind());
        this.endOfData = new EndOfData(new EndOfDataSession(), replies, services.forecast(), messagesAccepted, summary,
                milters.isEmpty() ? Optional.empty() : Optional.of(new MilterStep(milters, recipientPolicy)));
    }

    // ---- lifecycle -------------------------------------------------------------------------

    @Override
    public void handlerAdded(ChannelHandlerContext context) {
        this.ctx = context;
        this.input = context.alloc().heapBuffer(256);
        this.offLoop = new OffLoop(services.blocking(), context.executor(), new OffLoopSession());
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
        // The carried address behind a trusted balancer (PROXY protocol), else the peer.
        client = ClientAddress.of(context.channel());
        tlsActive = context.pipeline().get(SslHandler.class) != null;
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
        reply(replies.greeting(), services.hostname());
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
        releaseInput();
        endMilterSessions();
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

    private void readData() {
        MessageIntake.Read read = intake.readData(input);
        lastActivity = now();
        dataDeadline.received(read.octets());
        if (read.ended()) {
            mode = Mode.COMMAND;
            endOfMessage();
        }
    }

    private void readChunk() {
        MessageIntake.Read read = intake.readChunk(input, transaction);
        lastActivity = now();
        dataDeadline.received(read.octets());
        if (read.ended()) {
            chunkDone();
        }
    }

    // ---- commands --------------------------------------------------------------------------

    private void handle(Command command) {
        Optional<Command.Verb> checked = CommandTable.verb(command);
        if (checked.isPresent() && refusedByTable(checked.get())) {
            return;
        }
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

    /** The checks of {@link CommandTable}, in its order; true when the command was refused. */
    private boolean refusedByTable(Command.Verb verb) {
        if (CommandTable.has(verb, CommandTable.Rule.HELLO) && !replies.speaks(verb)) {
            error(SmtpReply.UNKNOWN_COMMAND);
            return true;
        }
        if (CommandTable.has(verb, CommandTable.Rule.NEEDS_HELLO) && heloName == null) {
            error(SmtpReply.HELO_FIRST);
            return true;
        }
        if (CommandTable.has(verb, CommandTable.Rule.STARTS_TRANSACTION) && transaction != null) {
            error(SmtpReply.NESTED_MAIL);
            return true;
        }
        if (CommandTable.has(verb, CommandTable.Rule.NEEDS_AUTH) && listener.authRequired() && identity.isEmpty()) {
            error(SmtpReply.AUTH_REQUIRED);
            return true;
        }
        if (CommandTable.has(verb, CommandTable.Rule.IN_TRANSACTION) && transaction == null) {
            error(SmtpReply.NEED_MAIL);
            return true;
        }
        if (CommandTable.has(verb, CommandTable.Rule.RESETS)) {
            resetTransaction();
        }
        return false;
    }

    private void simple(Command.Verb verb) {
        switch (verb) {
            case RSET -> reply(SmtpReply.RESET_OK);
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
        heloName = hello.clientName();
        extended = hello.verb() != Command.Verb.HELO;
        if (!extended) {
            reply(SmtpReply.HELO_OK, services.hostname());
            return;
        }
        write(EhloReply.render(services.hostname(), heloName, config.maxMessageSize(), startTlsAvailable(),
                authPolicy.offered(tlsActive, client) && identity.isEmpty(), replies.takesHandoffKey()));
    }

    private void mail(Command.Mail mail) {
        mailCommand.handle(mail, envelopeSession);
    }

    private void rcpt(Command.Rcpt rcpt) {
        rcptCommand.handle(rcpt, envelopeSession);
    }

    /** The session as MAIL and RCPT see it. */
    private final class EnvelopeSessionView implements EnvelopeSession {
        @Override
        public Optional<Transaction> transaction() {
            return Optional.ofNullable(transaction);
        }

        @Override
        public void open(Transaction t) {
            transaction = t;
        }

        @Override
        public Optional<Login.Identity> identity() {
            return identity;
        }

        @Override
        public InetAddress client() {
            return client;
        }

        @Override
        public <T> void offload(Supplier<T> work, Consumer<T> then) {
            SmtpSessionHandler.this.offload(work, then);
        }

        @Override
        public void reply(SmtpReply reply, Object... args) {
            SmtpSessionHandler.this.reply(reply, args);
        }

        @Override
        public void naming(MailAddress recipient) {
            currentRecipient = Optional.of(recipient);
        }
    }

    /** The postmaster of the first local domain (RFC 5321 4.5.1), resolved like any recipient. */
    private Optional<MailAddress> postmaster() {
        return services.domains().stream().findFirst().flatMap(d -> MailAddress.parse("postmaster@" + d));
    }

    private void data() {
        if (transaction.recipients.isEmpty()) {
            error(SmtpReply.NO_VALID_RECIPIENTS);
            return;
        }
        if (transaction.usesBdat) {
            error(SmtpReply.MIXED_DATA_BDAT);
            return;
        }
        Optional<Reply> refused = openMessage();
        if (refused.isPresent()) {
            resetTransaction();
            countedWrite(refused.get());
            return;
        }
        intake.startData(transaction);
        mode = Mode.DATA;
        dataDeadline = newDataDeadline();
        reply(SmtpReply.START_DATA);
    }

    private void bdat(Command.Bdat bdat) {
        if (dataDeadline == null) {
            // Also for a chunk that will be discarded: its octets can be trickled just the same.
            dataDeadline = newDataDeadline();
        }
        intake.startChunk(bdat.size(), bdat.last(), chunkRefusal());
        mode = Mode.BDAT;
        if (intake.chunkComplete()) {
            chunkDone();
        }
    }

    /** Why the chunk that follows a BDAT is to be read and discarded; empty when it belongs to the message. */
    private Optional<Reply> chunkRefusal() {
        if (transaction == null) {
            return Optional.of(SmtpReply.NEED_MAIL.with());
        } else if (transaction.recipients.isEmpty()) {
            return Optional.of(SmtpReply.NO_VALID_RECIPIENTS.with());
        } else if (transaction.message == null && transaction.usesBdat) {
            return Optional.of(SmtpReply.BAD_SEQUENCE.with());
        } else if (transaction.message == null) {
            transaction.usesBdat = true;
            // When the sink refuses, the chunk still follows on the wire: read it, then answer.
            return openMessage();
        } else if (!transaction.usesBdat) {
            return Optional.of(SmtpReply.MIXED_DATA_BDAT.with());
        }
        return Optional.empty();
    }

    private void chunkDone() {
        mode = Mode.COMMAND;
        Optional<Reply> refused = intake.takeChunkRefusal();
        if (refused.isPresent()) {
            Reply why = refused.get();
            // RFC 3030: after a failed chunk the transaction is over; later chunks get 503.
            resetTransaction();
            countedWrite(why);
            return;
        }
        if (intake.lastChunk()) {
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
    private Optional<Reply> openMessage() {
        Envelope envelope = envelope();
        try {
            transaction.message = services.sink().open(envelope);
            transaction.envelope = envelope;
            if (!milters.isEmpty()) {
                // The milters read the message before it is queued: it waits aside until they answered.
                transaction.spool = FilterSpool.create(services.filters().spoolDirectory());
            }
        } catch (java.io.IOException e) {
            transaction.abort();
            LogLine.event("filter-spool-failed").add("error", e.toString()).warn(LOG);
            return Optional.of(SmtpReply.STORAGE_TEMP_FAIL.with());
        } catch (SinkException e) {
            LogLine.event("sink-open-failed").add("code", e.enhancedCode()).add("error", e.getMessage()).warn(LOG);
            return Optional.of(EndOfData.storageFailure(e));
        } catch (RuntimeException e) {
            LogLine.event("sink-open-failed").add("error", e.toString()).warn(LOG);
            return Optional.of(SmtpReply.LOCAL_ERROR.with());
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
                transaction.dsnReturn, transaction.envelopeId, trace, transaction.handoffKey);
    }

    /** The sender a restricted group may believe: only that of a session that logged in (checked at MAIL). */
    private Optional<MailAddress> verifiedSender(Transaction t) {
        return identity.isPresent() ? t.sender : Optional.empty();
    }

    /** After {@code <CRLF>.<CRLF>} or BDAT LAST: the steps of {@link EndOfData}. */
    private void endOfMessage() {
        dataDeadline = null;
        endOfData.received(transaction);
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

    /** The session as the end-of-data steps see it. */
    private final class EndOfDataSession implements EndOfData.Session {
        @Override
        public <T> void offload(Supplier<T> work, Consumer<T> then) {
            SmtpSessionHandler.this.offload(work, then);
        }

        @Override
        public <T> void await(CompletableFuture<T> future, BiConsumer<T, Throwable> then) {
            suspend();
            future.whenComplete((value, failure) -> offLoop.onLoop(() -> {
                then.accept(value, failure);
                process();
            }));
        }

        @Override
        public void answering(Transaction t, Runnable replies) {
            SmtpSessionHandler.this.answering(t, replies);
        }

        @Override
        public void countedWrite(Reply reply) {
            SmtpSessionHandler.this.countedWrite(reply);
        }

        @Override
        public void write(Reply reply) {
            SmtpSessionHandler.this.write(reply.line());
        }

        @Override
        public void reply(Optional<MailAddress> recipient, Reply reply) {
            currentRecipient = recipient;
            SmtpSessionHandler.this.reply(reply);
        }

        @Override
        public boolean closed() {
            return mode == Mode.CLOSED;
        }

        @Override
        public String client() {
            return client.getHostAddress();
        }

        @Override
        public Optional<MailAddress> verifiedSender(Transaction t) {
            return SmtpSessionHandler.this.verifiedSender(t);
        }

        @Override
        public void detach() {
            transaction = null;
        }

        @Override
        public void senderAccepted(Transaction t) {
            identity.ifPresent(who -> senderAdmission.accepted(who, t.senderRights));
        }

        @Override
        public MilterContext milterContext(Transaction t) {
            return SmtpSessionHandler.this.milterContext(t);
        }

        @Override
        public RecipientPolicy.Client recipientClient(Transaction t) {
            return new RecipientPolicy.Client(client, identity, t.sender);
        }
    }

    // ---- milters ---------------------------------------------------------------------------

    /** The session and envelope as the milters' macros give them; the client as PROXY carried it. */
    private MilterContext milterContext(Transaction t) {
        SslHandler ssl = ctx.pipeline().get(SslHandler.class);
        Optional<String> cipher = tlsCipher();
        Optional<String> tlsVersion = cipher.map(c -> ssl.engine().getSession().getProtocol());
        MilterContext context = new MilterContext(listener.name(), services.hostname(), client.getHostAddress(),
                ClientAddress.socket(ctx.channel()).getPort(), "unknown", heloName == null ? "" : heloName,
                identity.map(Login.Identity::login), identity.flatMap(i -> authMechanism), tlsVersion, cipher,
                t.message.queueId().orElse(""), t.sender.map(MailAddress::toString).orElse(""), List.of(),
                t.recipients.stream().map(r -> r.address().toString()).toList());
        milterSessions.putIfAbsent(context.helo() + "|" + tlsVersion.orElse("") + "|" + cipher.orElse(""), context);
        return context;
    }

    /** The SMTP connection ended: the milter connections kept for its next message are closed, off the loop. */
    private void endMilterSessions() {
        if (milterSessions.isEmpty()) {
            return;
        }
        List<MilterContext> ended = List.copyOf(milterSessions.values());
        milterSessions.clear();
        try {
            services.blocking().execute(() -> ended.forEach(milters::sessionEnded));
        } catch (java.util.concurrent.RejectedExecutionException e) {
            // the node is stopping: closing the chains closes their connections
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
        // Kept for the milters' {auth_type}: OpenDKIM signs what an authenticated client sends.
        authMechanism = Optional.of(command.mechanism().toUpperCase(java.util.Locale.ROOT));
        authNext(auth.start(command, new AuthCommand.Session(!replies.speaksAuth(), heloName != null && extended,
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
        return replies.protocolName(extended, tlsActive, identity.isPresent());
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

    /** Runs {@code work} off the event loop under the one {@link OffLoop} policy, then {@code then} and the buffered input. */
    private <T> void offload(Supplier<T> work, Consumer<T> then) {
        offLoop.run(work, value -> {
            then.accept(value);
            process();
        });
    }

    /** The session as the {@link OffLoop} policy sees it. */
    private final class OffLoopSession implements OffLoop.Session {
        @Override
        public void suspend() {
            SmtpSessionHandler.this.suspend();
        }

        @Override
        public void resume() {
            SmtpSessionHandler.this.resume();
        }

        @Override
        public boolean closed() {
            return mode == Mode.CLOSED;
        }

        @Override
        public void failed(Throwable cause) {
            LogLine.event("lookup-failed").add("client", client.getHostAddress()).add("error", cause.toString())
                    .warn(LOG);
            error(SmtpReply.LOCAL_ERROR);
            process();
        }

        @Override
        public void stopping() {
            closeWith(SmtpReply.SHUTTING_DOWN, services.hostname());
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
        reply(reply.with(args));
    }

    private void reply(Reply reply) {
        if (reply.isError()) {
            countedWrite(reply);
        } else {
            write(reply.line());
        }
    }

    /** An error reply; too many of them end the session (421). */
    private void error(SmtpReply reply, Object... args) {
        countedWrite(reply.with(args));
    }

    private void countedWrite(Reply reply) {
        if (mode == Mode.CLOSED) {
            return;
        }
        write(reply.line());
        errorReplies.increment();
        rejected(reply);
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
