package io.postern.outbound;

import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslHandler;
import io.netty.util.concurrent.Future;
import io.postern.observability.LogLine;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLParameters;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One client connection to an SMTP or LMTP server, used in blocking style from a virtual thread:
 * commands are written through Netty, replies wait in a queue filled by {@link ReplyHandler}.
 * Every wait is bounded by a timeout and a timeout closes the connection. Mutable; one user at a
 * time (the pool hands it to one transaction).
 */
final class SmtpConnection implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(SmtpConnection.class);
    private static final int CONTENT_CHUNK = 64 * 1024;

    private final Channel channel;
    private final LinkedBlockingQueue<ReplyHandler.Event> events;
    private final String remoteMta;
    private final InetSocketAddress address;
    private Extensions extensions = Extensions.none();
    private boolean tls;
    private int messages;
    private long idleSince = System.nanoTime();
    /** Set while the session waits in the pool: no command is outstanding, so any reply is a stray one. */
    private final AtomicBoolean idle;

    private SmtpConnection(Channel channel, LinkedBlockingQueue<ReplyHandler.Event> events, AtomicBoolean idle,
                           String remoteMta, InetSocketAddress address) {
        this.channel = channel;
        this.idle = idle;
        this.events = events;
        this.remoteMta = remoteMta;
        this.address = address;
    }

    /** Opens a TCP connection (no greeting read yet). {@code hostName} names the peer in diagnostics. */
    static SmtpConnection connect(Bootstrap bootstrap, InetSocketAddress address, String hostName, Duration timeout,
                                  int maxLineLength, int maxLines, int maxWaitingReplies) throws SessionFailure {
        LinkedBlockingQueue<ReplyHandler.Event> events = new LinkedBlockingQueue<>();
        AtomicBoolean idle = new AtomicBoolean();
        String remoteMta = hostName + "[" + address.getAddress().getHostAddress() + "]:" + address.getPort();
        ChannelFuture future = bootstrap.clone()
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) Math.min(Integer.MAX_VALUE, timeout.toMillis()))
                .handler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        // Bounded: line length (framer), lines per reply and replies waiting (handler).
                        ch.pipeline()
                                .addLast("lines", new ReplyLineDecoder(maxLineLength))
                                .addLast("replies", new ReplyHandler(events, maxLines, maxWaitingReplies, idle::get));
                    }
                })
                .connect(address);
        if (!awaitUninterruptibly(future, timeout.plusSeconds(1))) {
            future.cancel(false);
            future.channel().close();
            throw new SessionFailure(Diagnostics.NO_ANSWER_CODE, "connect to " + remoteMta + " timed out after " + timeout.toSeconds() + "s");
        }
        if (!future.isSuccess()) {
            throw new SessionFailure(Diagnostics.NO_ANSWER_CODE, "connect to " + remoteMta + " failed: " + message(future.cause()),
                    future.cause());
        }
        return new SmtpConnection(future.channel(), events, idle, remoteMta, address);
    }

    String remoteMta() {
        return remoteMta;
    }

    InetSocketAddress address() {
        return address;
    }

    Extensions extensions() {
        return extensions;
    }

    void extensions(Extensions value) {
        this.extensions = value;
    }

    boolean tls() {
        return tls;
    }

    int messages() {
        return messages;
    }

    void countMessage() {
        messages++;
    }

    long idleSince() {
        return idleSince;
    }

    /**
     * Parks the session in the pool. True when no reply is waiting; from now on a reply that
     * arrives closes the session. One the handler queued just before it saw the flag is found
     * by {@link #markBusy} when the session is taken again.
     */
    boolean markIdle() {
        idleSince = System.nanoTime();
        idle.set(true);
        return !hasUnreadReply();
    }

    /** Takes the session out of the pool for a transaction. True when it is open and no reply came while idle. */
    boolean markBusy() {
        idle.set(false);
        return channel.isActive() && !hasUnreadReply();
    }

    /** Runs {@code action} once when the connection is closed, by either side (at once if it already is). */
    void whenClosed(Runnable action) {
        channel.closeFuture().addListener(f -> action.run());
    }

    boolean isOpen() {
        return channel.isActive();
    }

    /**
     * True when a reply (or the server's close) is waiting that no command asked for: the reply
     * accounting of this session is off, and the next read would match it to the wrong command.
     */
    boolean hasUnreadReply() {
        return !events.isEmpty();
    }

    /** Waits for the next reply; what the command was is named in a timeout's diagnostic. */
    SmtpReply read(String waitingFor, Duration timeout) throws SessionFailure {
        ReplyHandler.Event event;
        try {
            event = events.poll(timeout.toNanos(), TimeUnit.NANOSECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            close();
            throw new SessionFailure(Diagnostics.CONNECTION_LOST_CODE, "interrupted waiting for reply to " + waitingFor + " from " + remoteMta);
        }
        if (event == null) {
            close();
            throw new SessionFailure(Diagnostics.CONNECTION_LOST_CODE, "timeout after " + timeout.toSeconds() + "s waiting for reply to "
                    + waitingFor + " from " + remoteMta);
        }
        return switch (event) {
            case ReplyHandler.Event.Reply reply -> reply.reply();
            case ReplyHandler.Event.Closed closed -> {
                events.add(closed);
                close();
                throw new SessionFailure(Diagnostics.CONNECTION_LOST_CODE, closed.reason() + " (" + remoteMta + ", waiting for reply to "
                        + waitingFor + ")");
            }
        };
    }

    /**
     * Writes one command line (CRLF added) without waiting for its reply (pipelining). A line
     * holding CR, LF or NUL would be read by the server as more than one command: it is not sent,
     * it is logged, and the attempt fails as our own error (4.3.0, temporary).
     */
    void write(String command) throws SessionFailure {
        if (!safeLine(command)) {
            refused(command);
            throw new SessionFailure(Diagnostics.INTERNAL_CODE, Diagnostics.unsafeLine(remoteMta));
        }
        if (!channel.isActive()) {
            throw new SessionFailure(Diagnostics.CONNECTION_LOST_CODE, "connection to " + remoteMta + " lost before " + verb(command));
        }
        channel.writeAndFlush(Unpooled.copiedBuffer(command + "\r\n", StandardCharsets.UTF_8));
    }

    /** True when {@code line} is one command line: no CR, LF or NUL anywhere in it. */
    static boolean safeLine(String line) {
        return line.indexOf('\r') < 0 && line.indexOf('\n') < 0 && line.indexOf('\0') < 0;
    }

    /** Logs a line that was not sent; an AUTH line is named only by its verb (it carries a credential). */
    void refused(String line) {
        String verb = verb(line);
        LogLine.event("outbound-line-refused").add("remote", remoteMta).add("verb", verb)
                .add("line", verb.regionMatches(true, 0, "AUTH", 0, 4) ? "AUTH ..." : line)
                .add("code", Diagnostics.INTERNAL_CODE).warn(LOG);
    }

    SmtpReply command(String command, Duration timeout) throws SessionFailure {
        write(command);
        return read(verb(command), timeout);
    }

    /**
     * Upgrades to TLS after a 220 to STARTTLS. {@code verify}: the certificate must chain to a
     * trusted CA and name {@code peerHost}; otherwise any certificate is accepted (opportunistic).
     */
    void startTls(SslContext context, String peerHost, boolean verify, Duration timeout) throws SessionFailure {
        SslHandler handler = context.newHandler(channel.alloc(), peerHost, address.getPort());
        SSLEngine engine = handler.engine();
        SSLParameters parameters = engine.getSSLParameters();
        parameters.setEndpointIdentificationAlgorithm(verify ? "HTTPS" : null);
        engine.setSSLParameters(parameters);
        handler.setHandshakeTimeoutMillis(timeout.toMillis());
        // On the event loop, so that no read slips in between the check and the TLS handler.
        Future<Boolean> installed = channel.eventLoop().submit(() -> {
            ReplyLineDecoder lines = channel.pipeline().get(ReplyLineDecoder.class);
            if (!events.isEmpty() || lines == null || lines.buffered() > 0) {
                return false;
            }
            channel.pipeline().addFirst("tls", handler);
            return true;
        });
        if (!awaitUninterruptibly(installed, timeout) || !installed.isSuccess() || !installed.getNow()) {
            close();
            throw new SessionFailure(Diagnostics.TLS_FAILED_CODE, "TLS with " + remoteMta + " not started: the server sent data behind "
                    + "its reply to STARTTLS");
        }
        Future<Channel> handshake = handler.handshakeFuture();
        if (!awaitUninterruptibly(handshake, timeout.plusSeconds(1)) || !handshake.isSuccess()) {
            close();
            throw new SessionFailure(Diagnostics.TLS_FAILED_CODE, "TLS handshake with " + remoteMta + " failed: "
                    + (handshake.cause() == null ? "timeout" : message(handshake.cause())));
        }
        tls = true;
    }

    /** Streams the content, dot-stuffed, then {@code .CRLF}; each chunk must be written within {@code blockTimeout}. */
    void writeContent(InputStream in, Duration blockTimeout) throws IOException {
        DotStuffer stuffer = new DotStuffer();
        byte[] chunk = new byte[CONTENT_CHUNK];
        int n;
        while ((n = in.read(chunk)) > 0) {
            ByteBuf out = channel.alloc().buffer(n + n / 16 + 16);
            stuffer.stuff(chunk, 0, n, out);
            writeAndWait(out, blockTimeout);
        }
        ByteBuf end = channel.alloc().buffer(8);
        stuffer.finish(end);
        writeAndWait(end, blockTimeout);
    }

    private void writeAndWait(ByteBuf data, Duration timeout) throws SessionFailure {
        if (!channel.isActive()) {
            data.release();
            throw new SessionFailure(Diagnostics.CONNECTION_LOST_CODE, "connection to " + remoteMta + " lost while sending the message");
        }
        ChannelFuture written = channel.writeAndFlush(data);
        if (!awaitUninterruptibly(written, timeout)) {
            close();
            throw new SessionFailure(Diagnostics.CONNECTION_LOST_CODE, "timeout after " + timeout.toSeconds() + "s sending the message to "
                    + remoteMta);
        }
        if (!written.isSuccess()) {
            close();
            throw new SessionFailure(Diagnostics.CONNECTION_LOST_CODE, "sending the message to " + remoteMta + " failed: "
                    + message(written.cause()));
        }
    }

    /** QUIT, then close when it is written; does not wait for the reply (nothing depends on it). */
    void quit() {
        if (channel.isActive()) {
            channel.writeAndFlush(Unpooled.copiedBuffer("QUIT\r\n", StandardCharsets.US_ASCII))
                    .addListener(ChannelFutureListener.CLOSE);
        }
    }

    @Override
    public void close() {
        channel.close();
    }

    private static String verb(String command) {
        int colon = command.indexOf(':');
        int space = command.indexOf(' ');
        int end = colon > 0 ? colon : space > 0 ? space : command.length();
        return command.substring(0, end);
    }

    private static boolean awaitUninterruptibly(Future<?> future, Duration timeout) {
        return future.awaitUninterruptibly(timeout.toMillis());
    }

    private static String message(Throwable cause) {
        if (cause == null) {
            return "unknown error";
        }
        Throwable root = cause;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        return root.getMessage() == null ? root.getClass().getSimpleName() : root.getMessage();
    }
}
