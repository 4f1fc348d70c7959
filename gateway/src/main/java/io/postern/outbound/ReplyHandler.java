package io.postern.outbound;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.function.BooleanSupplier;

/**
 * Assembles reply lines (already split by the line decoder) into {@link SmtpReply} values and
 * hands them to the connection's queue; a closed channel or a garbled reply is queued as an
 * {@link Event.Closed}. Untrusted input: at most {@code maxLines} lines per reply and
 * {@code maxWaiting} replies not yet read (a server cannot flood the heap). A reply that arrives
 * while the session is idle in the pool answers no command: the session is closed. Mutable, one per channel.
 */
final class ReplyHandler extends SimpleChannelInboundHandler<ByteBuf> {
    sealed interface Event {
        record Reply(SmtpReply reply) implements Event {
        }

        record Closed(String reason) implements Event {
        }
    }

    private final BlockingQueue<Event> events;
    private final int maxLines;
    private final int maxWaiting;
    private final BooleanSupplier idle;
    private final List<String> lines = new ArrayList<>();
    private int code = -1;
    private boolean closed;

    ReplyHandler(BlockingQueue<Event> events, int maxLines, int maxWaiting, BooleanSupplier idle) {
        this.events = events;
        this.idle = idle;
        this.maxLines = maxLines;
        this.maxWaiting = maxWaiting;
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, ByteBuf frame) {
        if (closed) {
            return;
        }
        // Replies are ASCII by RFC 5321; UTF-8 keeps SMTPUTF8 servers' text readable.
        String line = frame.toString(StandardCharsets.UTF_8);
        if (line.endsWith("\r")) {
            line = line.substring(0, line.length() - 1);
        }
        if (line.length() < 3 || !Character.isDigit(line.charAt(0)) || !Character.isDigit(line.charAt(1))
                || !Character.isDigit(line.charAt(2)) || (line.length() > 3 && line.charAt(3) != ' ' && line.charAt(3) != '-')) {
            fail(ctx, "malformed reply line from server: " + printable(line));
            return;
        }
        int lineCode = Integer.parseInt(line.substring(0, 3));
        if (lineCode < 200 || lineCode > 599 || (code >= 0 && lineCode != code)) {
            fail(ctx, "bad reply code from server: " + printable(line));
            return;
        }
        code = lineCode;
        lines.add(line.length() > 4 ? line.substring(4) : "");
        if (lines.size() > maxLines) {
            fail(ctx, "reply of more than " + maxLines + " lines from server");
            return;
        }
        if (line.length() == 3 || line.charAt(3) == ' ') {
            if (events.size() >= maxWaiting) {
                fail(ctx, "more than " + maxWaiting + " replies sent without being asked for");
                return;
            }
            SmtpReply reply = new SmtpReply(code, lines);
            lines.clear();
            code = -1;
            if (idle.getAsBoolean()) {
                // No command is outstanding on a pooled session: a reply now would be matched to the next one.
                // (One that slips in before the flag is seen is still queued; taking the session checks the queue.)
                fail(ctx, "reply from server while the session was idle: " + printable(reply.oneLine()));
                return;
            }
            events.add(new Event.Reply(reply));
        }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        if (!closed) {
            closed = true;
            events.add(new Event.Closed("connection closed by server"));
        }
        ctx.fireChannelInactive();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        fail(ctx, cause.getClass().getSimpleName() + ": " + cause.getMessage());
    }

    private void fail(ChannelHandlerContext ctx, String reason) {
        if (!closed) {
            closed = true;
            events.add(new Event.Closed(reason));
        }
        ctx.close();
    }

    private static String printable(String line) {
        String cut = line.length() > 80 ? line.substring(0, 80) + "..." : line;
        return cut.replaceAll("[^\\x20-\\x7e]", "?");
    }
}
