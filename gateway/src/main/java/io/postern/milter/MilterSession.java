package io.postern.milter;

import io.postern.config.MilterConfig;
import io.postern.mail.MessageContent;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * One negotiated connection to one milter, and the conversation about one message over it.
 * Mutable, used by one thread at a time; pooled between messages by {@link MilterClient}.
 * Errors leave as {@link IOException} (down, closed, timed out) or
 * {@link MilterProtocolException} (nonsense); the connection is then closed, never reused.
 */
final class MilterSession implements AutoCloseable {
    private final MilterConfig config;
    private final MilterConnection connection;
    private int protocol;
    private int actions;
    private final Map<MacroStage, List<String>> macroNames = new EnumMap<>(MacroStage.class);
    /**
     * The SMTP connection this milter connection heard connect and HELO for; a later message of
     * the same SMTP connection starts at MAIL, as Postfix and Sendmail do. (Libmilter filters
     * differ on QUIT_NC, the command to restart at connect: clamav-milter never answers after
     * it, so a connection is never moved to another SMTP connection.)
     */
    private MilterContext.ConnectionKey connectedAs;
    /** False after a decision at connect or HELO (the milter refused the SMTP connection) or mid-message. */
    private boolean reusable;

    private MilterSession(MilterConfig config, MilterConnection connection) {
        this.config = config;
        this.connection = connection;
    }

    /** Connects and negotiates options within the connect and command timeouts. */
    static MilterSession open(MilterConfig config) throws IOException {
        MilterConnection connection = MilterConnection.open(config.address(), deadline(config.connectTimeout().toNanos()));
        MilterSession session = new MilterSession(config, connection);
        try {
            session.negotiate();
            return session;
        } catch (IOException | RuntimeException e) {
            connection.close();
            throw e;
        }
    }

    private void negotiate() throws IOException {
        connection.write(MilterCodec.optionNegotiation(MilterProtocol.ACTIONS_OFFERED, MilterProtocol.PROTOCOL_OFFERED),
                commandDeadline());
        Response response = read(commandDeadline());
        if (!(response instanceof Response.Options options)) {
            throw new MilterProtocolException("expected option negotiation, got " + response);
        }
        if (options.version() < 2 || options.version() > MilterProtocol.VERSION) {
            throw new MilterProtocolException("unsupported milter protocol version " + options.version());
        }
        if ((options.actions() & ~MilterProtocol.ACTIONS_OFFERED) != 0
                || (options.protocol() & ~MilterProtocol.PROTOCOL_OFFERED & 0x0FFFFFFF) != 0) {
            throw new MilterProtocolException(String.format("milter asks for actions 0x%x / protocol 0x%x not offered",
                    options.actions(), options.protocol()));
        }
        actions = options.actions();
        protocol = options.protocol();
        for (MacroStage stage : MacroStage.values()) {
            List<String> configured = config.macros().get(stage.configName());
            List<String> requested = options.macros().get(stage);
            macroNames.put(stage, configured != null ? configured : requested != null ? requested : stage.defaults);
        }
    }

    /** Asks about one message; the result is the milter's decision and, if it accepted, its edits. */
    MilterResult check(MilterContext ctx, MessageContent message, long[] progressSeen) throws IOException {
        reusable = false;
        Optional<MilterResult> early = Optional.empty();
        if (connectedAs == null) {
            early = connectAndHelo(ctx);
            if (early.isPresent()) {
                return early.get();
            }
            connectedAs = ctx.connectionKey();
        } else if (!connectedAs.equals(ctx.connectionKey())) {
            throw new IllegalStateException("milter connection belongs to another SMTP connection");
        }
        early = envelope(ctx);
        if (early.isPresent()) {
            reusable = true;
            return early.get();
        }
        if (early.isPresent()) {
            return early.get();
        }
        try (InputStream in = new BufferedInputStream(message.open(), 65536)) {
            HeaderSection.Parsed parsed = HeaderSection.read(in);
            early = headers(ctx, parsed.headers());
            if (early.isEmpty()) {
                early = body(parsed.bodyStart(), in);
            }
            if (early.isPresent()) {
                reusable = true;
                return early.get();
            }
        }
        send(MacroStage.EOM, ctx, null);
        connection.write(MilterCodec.empty(MilterProtocol.EOM), commandDeadline());
        return endOfMessage(progressSeen);
    }

    private Optional<MilterResult> connectAndHelo(MilterContext ctx) throws IOException {
        if (!has(MilterProtocol.NO_CONNECT)) {
            send(MacroStage.CONNECT, ctx, null);
            char family = ctx.clientAddress().isEmpty() ? 'U' : ctx.clientAddress().contains(":") ? '6' : '4';
            connection.write(MilterCodec.connect(ctx.clientName(), family, ctx.clientPort(), ctx.clientAddress()),
                    commandDeadline());
            Optional<MilterResult> result = step(MilterProtocol.NO_CONNECT_REPLY);
            if (result.isPresent()) {
                return result;
            }
        }
        if (!has(MilterProtocol.NO_HELO)) {
            send(MacroStage.HELO, ctx, null);
            connection.write(MilterCodec.helo(ctx.helo()), commandDeadline());
            return step(MilterProtocol.NO_HELO_REPLY);
        }
        return Optional.empty();
    }

    private Optional<MilterResult> envelope(MilterContext ctx) throws IOException {
        if (!has(MilterProtocol.NO_MAIL)) {
            send(MacroStage.MAIL, ctx, null);
            connection.write(MilterCodec.mail("<" + ctx.sender() + ">", ctx.mailArgs()), commandDeadline());
            Optional<MilterResult> result = abortIfDecided(step(MilterProtocol.NO_MAIL_REPLY));
            if (result.isPresent()) {
                return result;
            }
        }
        if (!has(MilterProtocol.NO_RCPT)) {
            for (String recipient : ctx.recipients()) {
                send(MacroStage.RCPT, ctx, recipient);
                connection.write(MilterCodec.rcpt("<" + recipient + ">", List.of()), commandDeadline());
                // A recipient refused after RCPT was accepted refuses the message: the client
                // hears it at DATA, and nothing is bounced later.
                Optional<MilterResult> result = abortIfDecided(step(MilterProtocol.NO_RCPT_REPLY));
                if (result.isPresent()) {
                    return result;
                }
            }
        }
        if (!has(MilterProtocol.NO_DATA)) {
            send(MacroStage.DATA, ctx, null);
            connection.write(MilterCodec.empty(MilterProtocol.DATA), commandDeadline());
            return abortIfDecided(step(MilterProtocol.NO_DATA_REPLY));
        }
        return Optional.empty();
    }

    private Optional<MilterResult> headers(MilterContext ctx, List<HeaderSection.Header> headers) throws IOException {
        if (!has(MilterProtocol.NO_HEADERS)) {
            for (HeaderSection.Header header : headers) {
                connection.write(MilterCodec.header(header.name(), header.milterValue()), commandDeadline());
                Optional<MilterResult> result = abortIfDecided(step(MilterProtocol.NO_HEADER_REPLY));
                if (result.isPresent()) {
                    return result;
                }
            }
        }
        if (!has(MilterProtocol.NO_EOH)) {
            send(MacroStage.EOH, ctx, null);
            connection.write(MilterCodec.empty(MilterProtocol.EOH), commandDeadline());
            return abortIfDecided(step(MilterProtocol.NO_EOH_REPLY));
        }
        return Optional.empty();
    }

    private Optional<MilterResult> body(byte[] start, InputStream rest) throws IOException {
        if (has(MilterProtocol.NO_BODY)) {
            return Optional.empty();
        }
        byte[] chunk = new byte[MilterProtocol.MAX_BODY_CHUNK];
        int filled = Math.min(start.length, chunk.length);
        System.arraycopy(start, 0, chunk, 0, filled);
        while (true) {
            int n = filled == chunk.length ? 0 : rest.read(chunk, filled, chunk.length - filled);
            if (n > 0) {
                filled += n;
                continue;
            }
            if (filled == 0) {
                return Optional.empty();
            }
            connection.write(MilterCodec.body(chunk, filled), commandDeadline());
            filled = 0;
            if (!has(MilterProtocol.NO_BODY_REPLY)) {
                Response response = read(commandDeadline());
                if (response instanceof Response.Decision d && d.kind() == Response.Kind.SKIP) {
                    return Optional.empty();
                }
                Optional<MilterResult> result = abortIfDecided(decide(response));
                if (result.isPresent()) {
                    return result;
                }
            }
            if (n < 0) {
                return Optional.empty();
            }
        }
    }

    /** Reads replies to EOM until the final decision; progress restarts the deadline. */
    private MilterResult endOfMessage(long[] progressSeen) throws IOException {
        long eom = config.endOfMessageTimeout().toNanos();
        long deadline = deadline(eom);
        List<Modification> edits = new ArrayList<>();
        Optional<String> quarantine = Optional.empty();
        java.io.ByteArrayOutputStream body = null;
        String bodyMilter = null;
        while (true) {
            Response response = read(deadline);
            switch (response) {
                case Response.Progress p -> {
                    deadline = deadline(eom);
                    progressSeen[0]++;
                }
                case Response.Quarantine q -> {
                    allowed(MilterProtocol.ACTION_QUARANTINE, "quarantine");
                    quarantine = Optional.of(q.reason());
                }
                case Response.Edit e when e.modification() instanceof Modification.ReplaceBody r -> {
                    allowed(MilterProtocol.ACTION_CHANGE_BODY, "replace body");
                    if (body == null) {
                        body = new java.io.ByteArrayOutputStream();
                        bodyMilter = r.milter();
                        edits.add(null); // placeholder: the body goes where its first chunk came
                    }
                    body.writeBytes(r.body());
                }
                case Response.Edit e -> {
                    checkAllowed(e.modification());
                    edits.add(e.modification());
                }
                case Response.Decision d when d.kind() == Response.Kind.ACCEPT || d.kind() == Response.Kind.CONTINUE -> {
                    if (body != null) {
                        edits.set(edits.indexOf(null), new Modification.ReplaceBody(bodyMilter, body.toByteArray()));
                    }
                    reusable = true;
                    return new MilterResult.Accepted(edits, quarantine);
                }
                default -> {
                    MilterResult result = decide(response)
                            .orElseThrow(() -> new MilterProtocolException("unexpected reply " + response));
                    reusable = true;
                    return result;
                }
            }
        }
    }

    private void checkAllowed(Modification modification) {
        switch (modification) {
            case Modification.AddHeader a -> allowed(MilterProtocol.ACTION_ADD_HEADERS, "add header");
            case Modification.InsertHeader i -> allowed(MilterProtocol.ACTION_ADD_HEADERS, "insert header");
            case Modification.ChangeHeader c -> allowed(MilterProtocol.ACTION_CHANGE_HEADERS, "change header");
            case Modification.DeleteHeader d -> allowed(MilterProtocol.ACTION_CHANGE_HEADERS, "delete header");
            case Modification.ReplaceBody r -> allowed(MilterProtocol.ACTION_CHANGE_BODY, "replace body");
            case Modification.AddRecipient a -> allowed(a.esmtpArgs().isPresent()
                    ? MilterProtocol.ACTION_ADD_RECIPIENT_WITH_ARGS
                    : MilterProtocol.ACTION_ADD_RECIPIENT | MilterProtocol.ACTION_ADD_RECIPIENT_WITH_ARGS, "add recipient");
            case Modification.DeleteRecipient d -> allowed(MilterProtocol.ACTION_DELETE_RECIPIENT, "delete recipient");
            case Modification.ChangeSender c -> allowed(MilterProtocol.ACTION_CHANGE_SENDER, "change sender");
        }
    }

    private void allowed(int actionBits, String what) {
        if ((actions & actionBits) == 0) {
            throw new MilterProtocolException(what + " without negotiating it");
        }
    }

    /** Reads the reply to one command unless the milter said it will not reply. */
    private Optional<MilterResult> step(int noReplyFlag) throws IOException {
        if (has(noReplyFlag)) {
            return Optional.empty();
        }
        Response response = read(commandDeadline());
        while (response instanceof Response.Progress) {
            response = read(commandDeadline());
        }
        if (response instanceof Response.Decision d && d.kind() == Response.Kind.SKIP) {
            throw new MilterProtocolException("skip outside the body");
        }
        return decide(response);
    }

    /** Maps a decision to a result; empty for continue. */
    private Optional<MilterResult> decide(Response response) {
        return switch (response) {
            case Response.Decision d -> switch (d.kind()) {
                case CONTINUE -> Optional.empty();
                case ACCEPT -> Optional.of(new MilterResult.Accepted(List.of(), Optional.empty()));
                case REJECT -> Optional.of(new MilterResult.Refused(MilterReplies.REJECTED));
                case TEMPFAIL -> Optional.of(new MilterResult.Refused(MilterReplies.TEMPFAILED));
                case DISCARD -> Optional.of(new MilterResult.Discarded());
                case SKIP -> throw new MilterProtocolException("skip not allowed here");
            };
            case Response.Reply r -> Optional.of(new MilterResult.Refused(r.reply()));
            default -> throw new MilterProtocolException("unexpected reply " + response);
        };
    }

    /** A message decided before its end: the milter is told to forget it, so the connection can be reused. */
    private Optional<MilterResult> abortIfDecided(Optional<MilterResult> result) throws IOException {
        if (result.isPresent()) {
            connection.write(MilterCodec.empty(MilterProtocol.ABORT), commandDeadline());
        }
        return result;
    }

    private void send(MacroStage stage, MilterContext ctx, String recipient) throws IOException {
        List<String> names = macroNames.getOrDefault(stage, List.of());
        Map<String, String> values = ctx.macros(stage, names, recipient);
        if (!values.isEmpty()) {
            connection.write(MilterCodec.macros(stage, values), commandDeadline());
        }
    }

    private Response read(long deadline) throws IOException {
        MilterConnection.Frame frame = connection.read(deadline);
        return MilterCodec.decode(frame.command(), frame.data(), config.name());
    }

    private boolean has(int flag) {
        return (protocol & flag) != 0;
    }

    private long commandDeadline() {
        return deadline(config.commandTimeout().toNanos());
    }

    private static long deadline(long nanos) {
        return System.nanoTime() + nanos;
    }

    /** True when the last message ended cleanly and the next one of {@code key} may use this connection. */
    boolean reusableFor(MilterContext.ConnectionKey key) {
        return reusable && key.equals(connectedAs);
    }

    boolean reusable() {
        return reusable;
    }

    /** True when the milter hung up or sent something while idle in the pool. */
    boolean stale() {
        return connection.staleOrClosed();
    }

    /** Says goodbye; errors are of no interest then. */
    void quit() {
        try {
            connection.write(MilterCodec.empty(MilterProtocol.QUIT), deadline(config.commandTimeout().toNanos()));
        } catch (IOException ignored) {
            // Closing anyway.
        }
        close();
    }

    @Override
    public void close() {
        connection.close();
    }

}
