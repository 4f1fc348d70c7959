package io.postern.smtp.inbound.session;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.ssl.SslHandler;
import io.postern.config.ListenerConfig;
import io.postern.config.SmtpConfig;
import io.postern.directory.Login;
import io.postern.mail.Envelope;
import io.postern.mail.MailAddress;
import io.postern.mail.SessionDrain;
import io.postern.milter.MilterChain;
import io.postern.milter.MilterContext;
import io.postern.net.ClientAddress;
import io.postern.net.TimeoutStage;
import io.postern.observability.LogLine;
import io.postern.protocol.OffLoop;
import io.postern.sasl.SaslExchange;
import io.postern.smtp.inbound.codec.LineFramer;
import io.postern.smtp.inbound.command.Command;
import io.postern.smtp.inbound.command.CommandParser;
import io.postern.smtp.inbound.policy.AuthPolicy;
import io.postern.smtp.inbound.policy.RecipientPolicy;
import io.postern.smtp.inbound.policy.SenderAdmission;
import io.postern.smtp.inbound.policy.SenderPolicy;
import io.postern.smtp.inbound.policy.TrustedNetworks;
import io.postern.smtp.reply.Reply;
import io.postern.smtp.reply.SmtpReply;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
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
 * One SMTP, submission or LMTP session: the input loop, the state and the dispatch of each
 * command through the {@link CommandTable} to its verb's class. Input is kept in one bounded
 * buffer and consumed one unit at a time (command line, SASL line, DATA bytes, BDAT chunk), so
 * that pipelined commands are handled in order and a mode change (354, BDAT, STARTTLS) applies
 * to the very next byte. Directory look-ups, logins and commits run off the event loop under the
 * {@link OffLoop} policy; while one is pending the session is suspended (reads and timeouts
 * paused, input kept) and the input that waited is handled when it resumes. Timeouts are the
 * pipeline's {@link TimeoutStage}: the session reports activity (whole lines, message octets),
 * picks the limit of its mode and answers the expiry.
 *
 * <p>Mutable, not thread-safe: every method runs on the channel's event loop.
 */
public final class SmtpSessionHandler extends ChannelInboundHandlerAdapter {
    private static final Logger LOG = LoggerFactory.getLogger(SmtpSessionHandler.class);
    private static final String DATA_DEADLINE = "data";
    private static final String LINE_DEADLINE = "line";

    private enum Mode { COMMAND, AUTH, DATA, BDAT, CLOSED }

    private final ListenerConfig listener;
    private final SmtpServices services;
    private final SmtpConfig config;
    private final ReplyStrategy replies;
    private final AuthPolicy authPolicy;
    private final View view = new View();
    private final SessionMeters meters;
    private final SessionSummary summary;
    private final SessionOutput output;
    private final HelloCommand hello;
    private final MailCommand mailCommand;
    private final RcptCommand rcptCommand;
    private final MessageCommands messages;
    private final StartTlsCommand startTls;
    private final LoginExchange login;
    private final EndOfData endOfData;
    private final SenderAdmission senderAdmission;
    // The listener's milters; the contexts they heard this session's connect and HELO with,
    // so that their connections are ended with the session (one per HELO/TLS state).
    private final MilterChain milters;
    private final Map<String, MilterContext> milterSessions = new HashMap<>();
    private final LineFramer framer = new LineFramer();
    private final MessageIntake intake = new MessageIntake();

    private ChannelHandlerContext ctx;
    private OffLoop offLoop;
    private TimeoutStage timeouts;
    private ByteBuf input;
    // Released once, by whichever of channelInactive and handlerRemoved comes first. Never ask the
    // buffer (refCnt) whether it is still ours: a released buffer is recycled at once, and may be
    // another session's input (on this loop or another) before this one is removed from its pipeline.
    private boolean inputReleased;
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
    private DataDeadline dataDeadline;

    public SmtpSessionHandler(ListenerConfig listener, SmtpServices services) {
        this.listener = listener;
        this.services = services;
        this.config = services.smtp();
        this.replies = ReplyStrategy.of(listener.kind());
        this.authPolicy = new AuthPolicy(services.auth(), listener.kind());
        this.meters = services.meters().of(listener.name());
        this.summary = new SessionSummary(listener.kind());
        this.output = new SessionOutput(meters, meters.errorReplies(), config.maxErrors(), summary, services.hostname(),
                view);
        this.hello = new HelloCommand(services.hostname(), config.maxMessageSize(), replies);
        SenderPolicy senderPolicy = new SenderPolicy(services.directory(), new HashSet<>(services.domains()));
        this.senderAdmission = new SenderAdmission(senderPolicy, services.directory(), services.relay(),
                services.senderLimits());
        this.mailCommand = new MailCommand(config, senderPolicy, senderAdmission,
                new TrustedNetworks(services.relay(), services.directory()), services, replies);
        RecipientPolicy recipientPolicy = new RecipientPolicy(services.directory(),
                new HashSet<>(services.domains()), services.relay(), replies.relays());
        this.rcptCommand = new RcptCommand(config, recipientPolicy, senderAdmission, services, replies);
        this.milters = services.filters().chainOf(listener.name());
        this.messages = new MessageCommands(services, listener.kind(), intake, output, view, !milters.isEmpty());
        this.startTls = new StartTlsCommand(listener.tls(), services.tls(), output);
        this.login = new LoginExchange(new AuthCommand(listener.kind(), authPolicy, services.authFailures()),
                services.directory(), output, services.hostname(), view);
        this.endOfData = new EndOfData(new EndOfDataSession(), replies, services.forecast(), meters.accepted(), summary,
                milters.isEmpty() ? Optional.empty() : Optional.of(new MilterStep(milters, recipientPolicy)));
    }

    // ---- lifecycle -------------------------------------------------------------------------

    @Override
    public void handlerAdded(ChannelHandlerContext context) {
        this.ctx = context;
        this.input = context.alloc().heapBuffer(256);
        this.offLoop = new OffLoop(services.blocking(), context.executor(), view);
        this.timeouts = TimeoutStage.of(context.pipeline());
        this.login.bind(context.executor());
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext context) {
        releaseInput();
    }

    private void releaseInput() {
        if (input != null && !inputReleased) {
            inputReleased = true;
            input.release();
        }
    }

    @Override
    public void channelActive(ChannelHandlerContext context) {
        meters.session();
        // The carried address behind a trusted balancer (PROXY protocol), else the peer.
        client = ClientAddress.of(context.channel());
        output.bind(context, client);
        tlsActive = context.pipeline().get(SslHandler.class) != null;
        timeouts.use(config.idleTimeout());
        timeouts.activity();
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
        output.reply(replies.greeting(), services.hostname());
        ctx.flush();
        process();
    }

    @Override
    public void channelInactive(ChannelHandlerContext context) {
        mode = Mode.CLOSED;
        resetTransaction();
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
                output.closeWith(SmtpReply.EARLY_TALKER);
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
            if (!greeted || inputReleased) {
                output.closeWith(SmtpReply.SHUTTING_DOWN, services.hostname());
            } else {
                process();
            }
            return;
        }
        if (event instanceof TimeoutStage.Expired expired) {
            LOG.debug("event=timeout client={} mode={} causes={}", client.getHostAddress(), mode, expired.causes());
            output.closeWith(expired.is(DATA_DEADLINE) ? SmtpReply.DATA_TOO_SLOW : SmtpReply.TIMEOUT,
                    services.hostname());
            return;
        }
        context.fireUserEventTriggered(event);
    }

    /** True when the session was closed because the node drains and no command is in progress. */
    private boolean leftForDrain() {
        if (draining && !suspended && mode == Mode.COMMAND) {
            output.closeWith(SmtpReply.SHUTTING_DOWN, services.hostname());
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

    // ---- input loop ------------------------------------------------------------------------

    private void process() {
        if (inputReleased || leftForDrain()) {
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
        // A line that waited behind off-loop work starts its clock when the session resumes, not before.
        if ((input.isReadable() || framer.skipping()) && mode == Mode.COMMAND && !suspended
                && !timeouts.has(LINE_DEADLINE)) {
            long since = timeouts.now();
            timeouts.deadline(LINE_DEADLINE, () -> since + config.commandTimeout().toNanos());
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
        LineFramer.Result next = framer.next(input, max);
        if (next instanceof LineFramer.NeedMore) {
            return false;
        }
        // Only whole lines are activity: a byte every few seconds must not keep a session open.
        timeouts.clear(LINE_DEADLINE);
        timeouts.activity();
        switch (next) {
            case LineFramer.TooLong t -> {
                if (mode == Mode.AUTH) {
                    login.abandon();
                } else {
                    output.answeringVerb(authLine ? Command.Verb.AUTH.name() : SessionMeters.UNKNOWN_COMMAND);
                }
                output.error(SmtpReply.LINE_TOO_LONG);
            }
            case LineFramer.Line(byte[] bytes) when mode == Mode.AUTH ->
                    login.respond(new String(bytes, StandardCharsets.US_ASCII));
            case LineFramer.Line(byte[] bytes) -> {
                Optional<Command.Verb> verb = CommandParser.verb(bytes);
                verb.ifPresentOrElse(meters::command, meters::unknownCommand);
                output.answeringVerb(verb.map(Command.Verb::name).orElse(SessionMeters.UNKNOWN_COMMAND));
                handle(CommandParser.parse(bytes));
            }
            case LineFramer.NeedMore n -> throw new IllegalStateException("handled above");
        }
        return true;
    }

    private void readData() {
        MessageIntake.Read read = intake.readData(input);
        timeouts.activity();
        dataDeadline.received(read.octets());
        if (read.ended()) {
            view.commandMode();
            view.endOfMessage();
        }
    }

    private void readChunk() {
        MessageIntake.Read read = intake.readChunk(input, transaction);
        timeouts.activity();
        dataDeadline.received(read.octets());
        if (read.ended()) {
            messages.chunkDone();
        }
    }

    // ---- dispatch --------------------------------------------------------------------------

    private void handle(Command command) {
        Optional<Command.Verb> checked = CommandTable.verb(command);
        if (checked.isPresent() && refusedByTable(checked.get())) {
            return;
        }
        switch (command) {
            case Command.Invalid(SmtpReply reply) -> output.error(reply);
            case Command.Hello h -> {
                heloName = h.clientName();
                extended = HelloCommand.extended(h);
                output.write(hello.answer(h, startTls.available(tlsActive),
                        authPolicy.offered(tlsActive, client) && identity.isEmpty()));
            }
            case Command.Mail mail -> mailCommand.handle(mail, view);
            case Command.Rcpt rcpt -> rcptCommand.handle(rcpt, view);
            case Command.RcptPostmaster(var parameters) -> postmaster().ifPresentOrElse(
                    address -> rcptCommand.handle(new Command.Rcpt(address, parameters), view),
                    () -> output.error(SmtpReply.UNKNOWN_USER));
            case Command.Data d -> messages.data();
            case Command.Bdat bdat -> messages.bdat(bdat);
            case Command.Auth auth -> login.start(auth, new AuthCommand.Session(!replies.speaksAuth(),
                    heloName != null && extended, identity.isPresent(), transaction != null, tlsActive, client));
            case Command.Simple(Command.Verb verb) -> {
                switch (SimpleCommands.of(verb)) {
                    case SimpleCommands.Answer(SmtpReply reply) -> output.reply(reply);
                    case SimpleCommands.Close(SmtpReply reply) -> output.closeWith(reply, services.hostname());
                    case SimpleCommands.StartTls s -> startTls.handle(ctx, input, framer, client, view);
                }
            }
        }
    }

    /** The checks of {@link CommandTable}, in its order; true when the command was refused. */
    private boolean refusedByTable(Command.Verb verb) {
        if (CommandTable.has(verb, CommandTable.Rule.HELLO) && !replies.speaks(verb)) {
            output.error(SmtpReply.UNKNOWN_COMMAND);
        } else if (CommandTable.has(verb, CommandTable.Rule.NEEDS_HELLO) && heloName == null) {
            output.error(SmtpReply.HELO_FIRST);
        } else if (CommandTable.has(verb, CommandTable.Rule.STARTS_TRANSACTION) && transaction != null) {
            output.error(SmtpReply.NESTED_MAIL);
        } else if (CommandTable.has(verb, CommandTable.Rule.NEEDS_AUTH) && listener.authRequired()
                && identity.isEmpty()) {
            output.error(SmtpReply.AUTH_REQUIRED);
        } else if (CommandTable.has(verb, CommandTable.Rule.IN_TRANSACTION) && transaction == null) {
            output.error(SmtpReply.NEED_MAIL);
        } else {
            if (CommandTable.has(verb, CommandTable.Rule.RESETS)) {
                resetTransaction();
            }
            return false;
        }
        return true;
    }

    /** The postmaster of the first local domain (RFC 5321 4.5.1), resolved like any recipient. */
    private Optional<MailAddress> postmaster() {
        return services.domains().stream().findFirst().flatMap(d -> MailAddress.parse("postmaster@" + d));
    }

    private void resetTransaction() {
        dataDeadline = null;
        timeouts.clear(DATA_DEADLINE);
        if (transaction != null) {
            transaction.abort();
            transaction = null;
        }
    }

    private void newDataDeadline() {
        DataDeadline deadline = new DataDeadline(timeouts.now(), config.dataTimeout(), config.dataTotalTimeout(),
                config.minDataRate());
        dataDeadline = deadline;
        timeouts.deadline(DATA_DEADLINE, deadline::due);
    }

    private Optional<String> tlsCipher() {
        SslHandler ssl = ctx.pipeline().get(SslHandler.class);
        if (ssl == null || ssl.engine().getSession() == null) {
            return Optional.empty();
        }
        String cipher = ssl.engine().getSession().getCipherSuite();
        return cipher == null || cipher.startsWith("SSL_NULL") ? Optional.empty() : Optional.of(cipher);
    }

    /** Runs {@code work} off the event loop under the one {@link OffLoop} policy, then {@code then} and the buffered input. */
    private <T> void offload(Supplier<T> work, Consumer<T> then) {
        offLoop.run(work, value -> {
            then.accept(value);
            process();
        });
    }

    private void suspend() {
        suspended = true;
        timeouts.pause();
        ctx.channel().config().setAutoRead(false);
    }

    private void resume() {
        suspended = false;
        timeouts.resume();
        if (mode != Mode.CLOSED) {
            ctx.channel().config().setAutoRead(ctx.channel().isWritable());
        }
    }

    /** The session as its commands, its output and the off-loop policy see it. */
    private final class View implements EnvelopeSession, OffLoop.Session, SessionOutput.Session, LoginExchange.Session,
            StartTlsCommand.Session, MessageCommands.Session {
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
            output.reply(reply, args);
        }

        @Override
        public void naming(MailAddress recipient) {
            output.naming(Optional.of(recipient));
        }

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
            output.error(SmtpReply.LOCAL_ERROR);
            process();
        }

        @Override
        public void stopping() {
            output.closeWith(SmtpReply.SHUTTING_DOWN, services.hostname());
        }

        @Override
        public void closing() {
            mode = Mode.CLOSED;
            resetTransaction();
        }

        @Override
        public void saslMode(boolean on) {
            mode = on ? Mode.AUTH : Mode.COMMAND;
        }

        @Override
        public void process() {
            SmtpSessionHandler.this.process();
        }

        @Override
        public void loggedIn(Login.Identity who) {
            identity = Optional.of(who);
        }

        @Override
        public boolean tlsActive() {
            return tlsActive;
        }

        @Override
        public boolean inTransaction() {
            return transaction != null;
        }

        @Override
        public void upgraded(SslHandler ssl) {
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

        @Override
        public void reset() {
            resetTransaction();
        }

        @Override
        public void dataMode() {
            mode = Mode.DATA;
            newDataDeadline();
            timeouts.use(config.dataTimeout());
        }

        @Override
        public void chunkMode() {
            if (dataDeadline == null) {
                // Also for a chunk that will be discarded: its octets can be trickled just the same.
                newDataDeadline();
            }
            mode = Mode.BDAT;
            timeouts.use(config.dataTimeout());
        }

        @Override
        public void commandMode() {
            mode = Mode.COMMAND;
            timeouts.use(config.idleTimeout());
        }

        @Override
        public void endOfMessage() {
            dataDeadline = null;
            timeouts.clear(DATA_DEADLINE);
            endOfData.received(transaction);
        }

        @Override
        public Envelope.SessionTrace trace() {
            return new Envelope.SessionTrace(client.getHostAddress(), client.getHostAddress(), heloName,
                    replies.protocolName(extended, tlsActive, identity.isPresent()),
                    identity.map(Login.Identity::login), tlsCipher(), services.clock().instant(),
                    services.relay().trusts(client));
        }

        @Override
        public String tlsDescription() {
            SslHandler ssl = ctx.pipeline().get(SslHandler.class);
            return tlsCipher().map(c -> "using " + ssl.engine().getSession().getProtocol() + " with cipher " + c)
                    .orElse("");
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
            output.answering(t, replies);
        }

        @Override
        public void countedWrite(Reply reply) {
            output.countedWrite(reply);
        }

        @Override
        public void write(Reply reply) {
            output.write(reply.line());
        }

        @Override
        public void reply(Optional<MailAddress> recipient, Reply reply) {
            output.naming(recipient);
            output.reply(reply);
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
            // Only that of a session that logged in (checked at MAIL).
            return identity.isPresent() ? t.sender : Optional.empty();
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
                identity.map(Login.Identity::login), identity.flatMap(i -> login.mechanism()), tlsVersion, cipher,
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
}
