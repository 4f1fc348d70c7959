package io.postern.pop3;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.ssl.SslHandler;
import io.postern.config.ListenerConfig;
import io.postern.config.TlsMode;
import io.postern.mail.SessionDrain;
import io.postern.mailbox.OpenMailbox;
import io.postern.mailbox.SpoolMessage;
import io.postern.mailbox.UpdateResult;
import io.postern.observability.LogLine;
import io.postern.protocol.OffLoop;
import io.postern.pop3.Pop3Login.LoginOutcome;
import io.postern.sasl.LoginThrottle;
import io.postern.sasl.SaslExchange;
import io.postern.sasl.SaslMechanism;
import io.postern.sasl.SaslStep;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import io.postern.net.ClientAddress;
import io.postern.net.TimeoutStage;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.BitSet;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One POP3 session (RFC 1939 states AUTHORIZATION, TRANSACTION, UPDATE). Untrusted input: every
 * line. Blocking work (directory, file listing, deletion) runs on the services' executor; while
 * it runs, or while a message is being sent, further pipelined lines wait in a bounded queue.
 * Nothing is deleted unless QUIT is received in TRANSACTION; a dropped or timed-out connection
 * only releases the mailbox lock. Mutable, one per connection, used on its event loop only.
 */
final class Pop3SessionHandler extends SimpleChannelInboundHandler<Pop3Input> {
    private static final Logger LOG = LoggerFactory.getLogger(Pop3SessionHandler.class);

    private enum State { AUTHORIZATION, SASL, TRANSACTION, CLOSED }

    private final ListenerConfig listener;
    private final Pop3Services services;
    private final Pop3LineDecoder lines;
    private final Pop3Login logins;
    private final ArrayDeque<Pop3Input> pending = new ArrayDeque<>();
    private ChannelHandlerContext ctx;
    private InetAddress client;
    private State state = State.AUTHORIZATION;
    private boolean secure;
    private boolean busy;
    private OffLoop offLoop;
    // QUIT's mailbox update is off the loop: a failure of it still ends the session.
    private boolean quitting;
    // The node is stopping: once no command is in progress the session ends with SHUTTING_DOWN.
    private boolean draining;
    private int badCommands;
    private Optional<String> user = Optional.empty();
    private SaslExchange sasl;
    private OpenMailbox mailbox;
    private List<SpoolMessage> messages = List.of();
    private final BitSet deleted = new BitSet();
    // For the event=session-end line.
    private final long started = System.nanoTime();
    private Optional<String> loggedInAs = Optional.empty();
    private int retrieved;
    private int expunged;
    private String result = "dropped";
    private ScheduledFuture<?> authorizationDeadline;

    Pop3SessionHandler(ListenerConfig listener, Pop3Services services, Pop3LineDecoder lines) {
        super(Pop3Input.class);
        this.listener = listener;
        this.services = services;
        this.lines = lines;
        this.logins = new Pop3Login(services);
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        this.ctx = ctx;
        this.client = ClientAddress.of(ctx.channel());
        this.secure = listener.tls() == TlsMode.IMPLICIT;
        services.metrics().sessionOpened();
        // The idle timer alone lets a client that sends a command now and then try logins forever.
        authorizationDeadline = ctx.executor().schedule(this::authorizationExpired,
                services.config().authorizationTimeout().toNanos(), TimeUnit.NANOSECONDS);
        reply(Pop3Reply.GREETING);
        ctx.fireChannelActive();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        services.metrics().sessionClosed();
        if (client != null) {
            LogLine.event("session-end").add("proto", "pop3").add("client", client.getHostAddress())
                    .add("user", loggedInAs.orElse("-")).add("tls", secure ? "yes" : "no")
                    .add("retrieved", retrieved).add("deleted", expunged).add("result", result)
                    .seconds("duration", started, System.nanoTime()).info(LOG);
        }
        state = State.CLOSED;
        pending.clear();
        if (authorizationDeadline != null) {
            authorizationDeadline.cancel(false);
        }
        releaseMailbox();
        ctx.fireChannelInactive();
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object event) {
        if (event == SessionDrain.INSTANCE) {
            draining = true;
            drain();
            return;
        }
        if (event instanceof TimeoutStage.Expired) {
            ending("timeout");
            closeWith(Pop3Reply.IDLE_TIMEOUT);
            return;
        }
        ctx.fireUserEventTriggered(event);
    }

    private void authorizationExpired() {
        if (state == State.AUTHORIZATION || state == State.SASL) {
            ending("timeout");
            closeWith(Pop3Reply.AUTHORIZATION_TIMEOUT);
        }
    }

    /**
     * A client that pipelines commands but does not read the replies would make them pile up in
     * memory: its lines wait (bounded by {@code maxPipelinedCommands}) and reading pauses until it
     * has read them. If it never does, the idle timeout ends the session.
     */
    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
        boolean writable = ctx.channel().isWritable();
        if (state != State.CLOSED) {
            ctx.channel().config().setAutoRead(writable);
            if (writable) {
                drain();
            }
        }
        ctx.fireChannelWritabilityChanged();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        LogLine.event("pop3-error").add("client", client).add("error", cause.toString()).debug(LOG);
        ending("error");
        ctx.close();
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, Pop3Input input) {
        if (state == State.CLOSED) {
            return;
        }
        // Lines still waiting go first, whatever made them wait (a transfer, the directory, an unread reply).
        if (busy || !ctx.channel().isWritable() || !pending.isEmpty()) {
            if (pending.size() >= services.config().maxPipelinedCommands()) {
                ending("limit");
                closeWith(Pop3Reply.TOO_MANY_PIPELINED);
                return;
            }
            pending.add(input);
            drain();
            return;
        }
        if (draining) {
            drain();
            return;
        }
        handle(input);
    }

    private void handle(Pop3Input input) {
        switch (input) {
            case Pop3Input.TooLong t -> {
                if (state == State.SASL) {
                    // The refused line was the SASL response: the exchange is over, the next line is a command.
                    state = State.AUTHORIZATION;
                    sasl = null;
                }
                bad(Pop3Reply.LINE_TOO_LONG);
            }
            case Pop3Input.Line line -> {
                if (state != State.SASL && line.octets() > services.config().maxCommandLine()) {
                    bad(Pop3Reply.LINE_TOO_LONG);
                } else if (line.text().indexOf('\0') >= 0) {
                    bad(Pop3Reply.NUL_IN_LINE);
                } else if (state == State.SASL) {
                    saslStep(sasl.respond(line.text()));
                } else {
                    command(line.text());
                }
            }
        }
    }

    /** Runs queued lines once the session is idle again. */
    private void drain() {
        if (draining && !busy && state != State.CLOSED) {
            // The node is stopping: no further command; nothing is expunged without QUIT (RFC 1939 6).
            ending("shutdown");
            closeWith(Pop3Reply.SHUTTING_DOWN);
            return;
        }
        while (!busy && state != State.CLOSED && !pending.isEmpty() && ctx.channel().isWritable()) {
            handle(pending.poll());
        }
    }

    private void command(String text) {
        int space = text.indexOf(' ');
        String verb = (space < 0 ? text : text.substring(0, space)).toUpperCase(Locale.ROOT);
        String rest = space < 0 ? "" : text.substring(space + 1);
        List<String> args = rest.isEmpty() ? List.of() : List.of(rest.split(" ", -1));
        switch (verb) {
            case "CAPA" -> capa();
            case "QUIT" -> quit();
            case "NOOP" -> inTransaction(() -> reply(Pop3Reply.NOOP));
            case "STLS" -> inAuthorization(this::stls);
            case "USER" -> inAuthorization(() -> user(args));
            case "PASS" -> inAuthorization(() -> pass(rest));
            case "AUTH" -> inAuthorization(() -> auth(args));
            case "STAT" -> inTransaction(this::stat);
            case "LIST" -> inTransaction(() -> list(args));
            case "UIDL" -> inTransaction(() -> uidl(args));
            case "RETR" -> inTransaction(() -> retr(args));
            case "TOP" -> inTransaction(() -> top(args));
            case "DELE" -> inTransaction(() -> dele(args));
            case "RSET" -> inTransaction(this::rset);
            default -> bad(Pop3Reply.UNKNOWN_COMMAND);
        }
    }

    private void inAuthorization(Runnable action) {
        if (state != State.AUTHORIZATION) {
            bad(Pop3Reply.WRONG_STATE);
            return;
        }
        action.run();
    }

    private void inTransaction(Runnable action) {
        if (state != State.TRANSACTION) {
            bad(Pop3Reply.WRONG_STATE);
            return;
        }
        action.run();
    }

    // ---- AUTHORIZATION ----

    private boolean plaintextAllowed() {
        return secure || services.auth().allowPlaintext()
                || (services.auth().allowPlaintextOnLoopback() && client.isLoopbackAddress());
    }

    private boolean stlsOffered() {
        return !secure && listener.tls() == TlsMode.STARTTLS && services.tls().isPresent();
    }

    private void capa() {
        StringBuilder out = new StringBuilder(Pop3Reply.CAPA.text()).append("\r\n");
        out.append("TOP\r\nUIDL\r\nRESP-CODES\r\nPIPELINING\r\n");
        if (state == State.AUTHORIZATION) {
            out.append("AUTH-RESP-CODE\r\n");
            if (plaintextAllowed()) {
                out.append("USER\r\nSASL PLAIN LOGIN\r\n");
            }
            if (stlsOffered()) {
                out.append("STLS\r\n");
            }
        }
        out.append("IMPLEMENTATION Postern\r\n.");
        reply(out.toString());
    }

    private void stls() {
        if (secure) {
            bad(Pop3Reply.ALREADY_TLS);
            return;
        }
        if (!stlsOffered()) {
            bad(Pop3Reply.STLS_UNAVAILABLE);
            return;
        }
        // RFC 2595 / James: what the client pipelined behind STLS must not be read as if it came over TLS.
        lines.discardBuffered();
        pending.clear();
        ctx.pipeline().addFirst("tls", new SslHandler(services.tls().orElseThrow().newEngine(ctx.alloc()), true));
        secure = true;
        user = Optional.empty();
        reply(Pop3Reply.STLS_GO);
    }

    private void user(List<String> args) {
        if (!plaintextAllowed()) {
            bad(Pop3Reply.PLAINTEXT_DISALLOWED);
            return;
        }
        if (args.size() != 1 || args.get(0).isEmpty()) {
            bad(Pop3Reply.BAD_ARGUMENTS);
            return;
        }
        user = Optional.of(args.get(0));
        reply(Pop3Reply.USER_OK);
    }

    private void pass(String password) {
        if (!plaintextAllowed()) {
            bad(Pop3Reply.PLAINTEXT_DISALLOWED);
            return;
        }
        if (user.isEmpty()) {
            bad(Pop3Reply.NEED_USER);
            return;
        }
        String login = user.get();
        user = Optional.empty();
        login(login, password);
    }

    private void auth(List<String> args) {
        if (args.isEmpty()) {
            reply(Pop3Reply.AUTH_MECHANISMS.text() + "\r\nPLAIN\r\nLOGIN\r\n.");
            return;
        }
        if (!plaintextAllowed()) {
            bad(Pop3Reply.PLAINTEXT_DISALLOWED);
            return;
        }
        Optional<SaslMechanism> mechanism = SaslMechanism.named(args.get(0));
        if (mechanism.isEmpty() || args.size() > 2) {
            bad(args.size() > 2 ? Pop3Reply.BAD_ARGUMENTS : Pop3Reply.AUTH_UNKNOWN_MECHANISM);
            return;
        }
        Optional<String> initial = args.size() == 2 ? Optional.of(args.get(1)) : Optional.empty();
        SaslExchange.Start start = SaslExchange.start(mechanism.get(), initial);
        sasl = start.exchange();
        saslStep(start.firstStep());
    }

    private void saslStep(SaslStep step) {
        switch (step) {
            case SaslStep.Challenge c -> {
                state = State.SASL;
                reply(Pop3Reply.SASL_CONTINUE, c.base64());
            }
            case SaslStep.Credentials c -> {
                state = State.AUTHORIZATION;
                sasl = null;
                login(c.login(), c.password());
            }
            case SaslStep.Cancelled c -> {
                state = State.AUTHORIZATION;
                sasl = null;
                reply(Pop3Reply.AUTH_CANCELLED);
            }
            case SaslStep.Malformed m -> {
                state = State.AUTHORIZATION;
                sasl = null;
                bad(Pop3Reply.AUTH_MALFORMED);
            }
        }
    }

    private void login(String login, String password) {
        switch (services.limiter().admit(client, login)) {
            case LoginThrottle.Admission.Proceed(LoginThrottle.Attempt attempt, Duration delay) ->
                    after(delay, attempt::abandoned, () -> offload(() -> checkLogin(login, password, attempt),
                            this::loggedIn));
            case LoginThrottle.Admission.LoginLocked(Duration delay) -> after(delay, () -> { }, () -> {
                blocked(login);
                reply(Pop3Reply.LOGIN_LOCKED);
            });
            case LoginThrottle.Admission.NetworkRefused n -> {
                blocked(login);
                ending("auth-limit");
                closeWith(Pop3Reply.TOO_MANY_FAILURES);
            }
        }
    }

    private void blocked(String login) {
        services.metrics().login(Pop3Metrics.LoginResult.BLOCKED);
        LogLine.event("pop3-login").add("result", "blocked").add("client", client.getHostAddress())
                .add("login", login).info(LOG);
    }

    /** Blocking: the login's outcome, with the throttle's reservation settled by it (even if the session is gone). */
    private LoginOutcome checkLogin(String login, String password, LoginThrottle.Attempt attempt) {
        LoginOutcome outcome;
        try {
            // An empty password is an anonymous bind on AD: never pass it on.
            outcome = password.isEmpty() ? new LoginOutcome.Refused(login, "empty password")
                    : logins.attempt(login, password);
        } catch (RuntimeException e) {
            attempt.abandoned();
            throw e;
        }
        switch (outcome) {
            case LoginOutcome.LoggedIn in -> attempt.succeeded();
            case LoginOutcome.Refused r -> attempt.failed();
            // In use or not servable: the password was right; directory or storage down: nothing learnt.
            case LoginOutcome.Reply r -> {
                if (r.result() == Pop3Metrics.LoginResult.TEMPFAIL) {
                    attempt.abandoned();
                } else {
                    attempt.succeeded();
                }
            }
        }
        return outcome;
    }

    /**
     * Runs {@code then} after the throttle's {@code delay} on the channel's scheduler (the event
     * loop never sleeps; later lines wait in the pending queue); {@code gone} instead when the
     * session ended meanwhile.
     */
    private void after(Duration delay, Runnable gone, Runnable then) {
        if (delay.isZero()) {
            then.run();
            return;
        }
        busy = true;
        ctx.executor().schedule(() -> {
            busy = false;
            if (state == State.CLOSED) {
                gone.run();
                return;
            }
            then.run();
            drain();
        }, delay.toNanos(), TimeUnit.NANOSECONDS);
    }

    private void loggedIn(LoginOutcome outcome) {
        switch (outcome) {
            case LoginOutcome.LoggedIn in -> {
                if (state == State.CLOSED) {
                    in.mailbox().close();
                    return;
                }
                mailbox = in.mailbox();
                messages = mailbox.messages();
                state = State.TRANSACTION;
                authorizationDeadline.cancel(false);
                loggedInAs = Optional.of(in.login());
                services.metrics().login(Pop3Metrics.LoginResult.OK);
                long octets = messages.stream().mapToLong(SpoolMessage::size).sum();
                LogLine.event("pop3-login").add("result", "ok").add("client", client.getHostAddress())
                        .add("login", in.login()).add("messages", messages.size()).add("octets", octets).info(LOG);
                reply(Pop3Reply.LOGGED_IN, messages.size(), octets);
            }
            case LoginOutcome.Refused r -> refuse(r.login(), r.why());
            case LoginOutcome.Reply r -> {
                services.metrics().login(r.result());
                LogLine.event("pop3-login").add("result", r.result().name().toLowerCase(Locale.ROOT))
                        .add("client", client.getHostAddress()).add("login", r.login()).add("reason", r.why())
                        .info(LOG);
                reply(r.reply());
            }
        }
    }

    private void refuse(String login, String why) {
        services.metrics().login(Pop3Metrics.LoginResult.FAILED);
        LogLine.event("pop3-login").add("result", "failed").add("client", client.getHostAddress())
                .add("login", login).add("reason", why).info(LOG);
        if (state != State.CLOSED) {
            reply(Pop3Reply.AUTH_FAILED);
        }
    }

    // ---- TRANSACTION ----

    private void stat() {
        int count = 0;
        long octets = 0;
        for (int i = 0; i < messages.size(); i++) {
            if (!deleted.get(i)) {
                count++;
                octets += messages.get(i).size();
            }
        }
        reply(Pop3Reply.STAT, count, octets);
    }

    private void list(List<String> args) {
        if (args.size() > 1) {
            bad(Pop3Reply.BAD_ARGUMENTS);
            return;
        }
        if (args.size() == 1) {
            messageNumber(args.get(0)).ifPresent(i ->
                    reply(Pop3Reply.LIST_ONE, i + 1, messages.get(i).size()));
            return;
        }
        int count = 0;
        long octets = 0;
        StringBuilder body = new StringBuilder(messages.size() * 16);
        for (int i = 0; i < messages.size(); i++) {
            if (!deleted.get(i)) {
                count++;
                octets += messages.get(i).size();
                body.append(i + 1).append(' ').append(messages.get(i).size()).append("\r\n");
            }
        }
        reply(Pop3Reply.LIST_ALL.text(count, octets) + "\r\n" + body + ".");
    }

    private void uidl(List<String> args) {
        if (args.size() > 1) {
            bad(Pop3Reply.BAD_ARGUMENTS);
            return;
        }
        if (args.size() == 1) {
            messageNumber(args.get(0)).ifPresent(i ->
                    reply(Pop3Reply.UIDL_ONE, i + 1, messages.get(i).uid()));
            return;
        }
        StringBuilder out = new StringBuilder(messages.size() * 48).append(Pop3Reply.UIDL_ALL.text()).append("\r\n");
        for (int i = 0; i < messages.size(); i++) {
            if (!deleted.get(i)) {
                out.append(i + 1).append(' ').append(messages.get(i).uid()).append("\r\n");
            }
        }
        reply(out.append('.').toString());
    }

    private void retr(List<String> args) {
        if (args.size() != 1) {
            bad(Pop3Reply.BAD_ARGUMENTS);
            return;
        }
        messageNumber(args.get(0)).ifPresent(i -> send(i, -1,
                Pop3Reply.RETR.text(messages.get(i).size())));
    }

    private void top(List<String> args) {
        if (args.size() != 2) {
            bad(Pop3Reply.BAD_ARGUMENTS);
            return;
        }
        Optional<Long> lines = number(args.get(1));
        if (lines.isEmpty()) {
            bad(Pop3Reply.BAD_ARGUMENTS);
            return;
        }
        messageNumber(args.get(0)).ifPresent(i -> send(i, lines.get(), Pop3Reply.TOP.text()));
    }

    /** Streams message {@code index}; RETR ({@code bodyLines < 0}) also marks it seen. */
    private void send(int index, long bodyLines, String okLine) {
        InputStream in;
        try {
            in = mailbox.open(index);
        } catch (IOException e) {
            LogLine.event("pop3-read-failed").add("client", client.getHostAddress())
                    .add("uid", messages.get(index).uid()).add("error", e.getMessage()).warn(LOG);
            reply(Pop3Reply.MESSAGE_UNREADABLE);
            return;
        }
        write(okLine);
        MessageChunks chunks = new MessageChunks(in, bodyLines);
        busy = true;
        ctx.writeAndFlush(chunks).addListener(future -> {
            if (!future.isSuccess()) {
                // The client already has "+OK": without the terminating dot it would hang, so end the session.
                ctx.close();
                return;
            }
            if (bodyLines < 0) {
                retrieved++;
                services.metrics().retrBytes(chunks.progress());
                try {
                    mailbox.markSeen(index);
                } catch (IOException e) {
                    LogLine.event("pop3-mark-seen-failed").add("uid", messages.get(index).uid())
                            .add("error", e.getMessage()).warn(LOG);
                }
            }
            busy = false;
            drain();
        });
    }

    private void dele(List<String> args) {
        if (args.size() != 1) {
            bad(Pop3Reply.BAD_ARGUMENTS);
            return;
        }
        messageNumber(args.get(0)).ifPresent(i -> {
            deleted.set(i);
            reply(Pop3Reply.DELE, i + 1);
        });
    }

    private void rset() {
        int restored = deleted.cardinality();
        deleted.clear();
        reply(Pop3Reply.RSET, restored);
    }

    private void quit() {
        if (state != State.TRANSACTION) {
            ending("quit");
            closeWith(Pop3Reply.BYE);
            return;
        }
        Set<Integer> doomed = new HashSet<>();
        deleted.stream().forEach(doomed::add);
        quitting = true;
        OpenMailbox open = mailbox;
        offload(() -> open.delete(doomed), result -> {
            String text = switch (result) {
                case UpdateResult.Done d -> Pop3Reply.BYE_UPDATED.text(d.deleted());
                case UpdateResult.Partial p -> Pop3Reply.UPDATE_PARTIAL.text(p.failed(), doomed.size());
                case UpdateResult.LockLost l -> Pop3Reply.UPDATE_LOCK_LOST.text();
            };
            expunged = switch (result) {
                case UpdateResult.Done d -> d.deleted();
                case UpdateResult.Partial p -> p.deleted();
                case UpdateResult.LockLost l -> 0;
            };
            ending("quit");
            LogLine.event("pop3-update").add("client", client.getHostAddress()).add("result", result).info(LOG);
            releaseMailbox();
            closeWith(text);
        });
    }

    /** A message number from the client: 1..count, not deleted; else replies and returns empty. */
    private Optional<Integer> messageNumber(String arg) {
        Optional<Long> n = number(arg);
        if (n.isEmpty()) {
            bad(Pop3Reply.BAD_ARGUMENTS);
            return Optional.empty();
        }
        if (n.get() < 1 || n.get() > messages.size()) {
            reply(Pop3Reply.NO_SUCH_MESSAGE);
            return Optional.empty();
        }
        int index = (int) (n.get() - 1);
        if (deleted.get(index)) {
            reply(Pop3Reply.ALREADY_DELETED, index + 1);
            return Optional.empty();
        }
        return Optional.of(index);
    }

    /** Digits only (so {@code -1}, {@code +1}, {@code 1e3} are refused), at most 18 of them. */
    private static Optional<Long> number(String arg) {
        if (arg.isEmpty() || arg.length() > 18) {
            return arg.length() > 18 && arg.chars().allMatch(Character::isDigit)
                    ? Optional.of(Long.MAX_VALUE) : Optional.empty();
        }
        for (int i = 0; i < arg.length(); i++) {
            if (arg.charAt(i) < '0' || arg.charAt(i) > '9') {
                return Optional.empty();
            }
        }
        return Optional.of(Long.parseLong(arg));
    }

    // ---- plumbing ----

    /** Off-loop work under the one {@link OffLoop} policy; then the lines that waited meanwhile. */
    private <T> void offload(Supplier<T> work, java.util.function.Consumer<T> then) {
        offLoop().run(work, result -> {
            then.accept(result);
            drain();
        });
    }

    private OffLoop offLoop() {
        if (offLoop == null) {
            offLoop = new OffLoop(services.blocking(), ctx.executor(), new OffLoop.Session() {
                @Override
                public void suspend() {
                    busy = true;
                    TimeoutStage.of(ctx.pipeline()).pause();
                }

                @Override
                public void resume() {
                    busy = false;
                    TimeoutStage.of(ctx.pipeline()).resume();
                }

                @Override
                public boolean closed() {
                    return state == State.CLOSED;
                }

                @Override
                public void failed(Throwable cause) {
                    LogLine.event("pop3-internal-error").add("client", client.getHostAddress())
                            .add("error", cause.toString()).warn(LOG);
                    // QUIT was the command: the session ends after the answer, as RFC 1939 says.
                    if (quitting) {
                        ending("error");
                        closeWith(Pop3Reply.STORAGE_TEMP);
                        return;
                    }
                    reply(Pop3Reply.STORAGE_TEMP);
                    drain();
                }

                @Override
                public void stopping() {
                    ending("shutdown");
                    closeWith(Pop3Reply.SHUTTING_DOWN);
                }
            });
        }
        return offLoop;
    }

    private void bad(Pop3Reply reply, Object... args) {
        bad(reply.text(args));
    }

    private void bad(String text) {
        badCommands++;
        if (badCommands > services.config().maxBadCommands()) {
            ending("errors");
            closeWith(Pop3Reply.TOO_MANY_BAD);
            return;
        }
        reply(text);
    }

    private void write(String text) {
        ByteBuf buf = ctx.alloc().buffer(text.length() + 2);
        buf.writeCharSequence(text, StandardCharsets.UTF_8);
        buf.writeByte('\r').writeByte('\n');
        ctx.write(buf);
    }

    private void reply(Pop3Reply reply, Object... args) {
        reply(reply.text(args));
    }

    private void reply(String text) {
        write(text);
        ctx.flush();
    }

    /** How the session ends, for its session-end line; the first cause wins. */
    private void ending(String why) {
        if (result.equals("dropped")) {
            result = why;
        }
    }

    private void closeWith(Pop3Reply reply, Object... args) {
        closeWith(reply.text(args));
    }

    private void closeWith(String text) {
        state = State.CLOSED;
        pending.clear();
        write(text);
        ctx.writeAndFlush(ctx.alloc().buffer(0)).addListener(ChannelFutureListener.CLOSE);
        if (!ctx.channel().isWritable()) {
            // The client is not reading: the last reply would never be written, and the close never come.
            ctx.close();
        }
    }

    private void releaseMailbox() {
        if (mailbox != null) {
            OpenMailbox open = mailbox;
            mailbox = null;
            open.close();
        }
    }
}
