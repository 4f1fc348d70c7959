package io.postern.smtp.inbound.codec;

import io.netty.buffer.ByteBuf;

/**
 * Cuts command lines out of the input, bounded: a line longer than the limit is never kept in
 * memory; its bytes are skipped up to the next LF and it is reported once as {@link TooLong}.
 * A line ends at LF; a CR right before it is dropped. Mutable (remembers a line being skipped),
 * one per session, used on the session's event loop only.
 */
public final class LineFramer {
    private boolean skipping;

    /** What one call found. */
    public sealed interface Result {
    }

    /** A whole line without its line ending. */
    public record Line(byte[] bytes) implements Result {
    }

    /** The input ends inside a line: wait for more bytes. */
    public record NeedMore() implements Result {
    }

    /** A line longer than the limit was skipped (the session answers 500 5.5.2). */
    public record TooLong() implements Result {
    }

    private static final NeedMore NEED_MORE = new NeedMore();

    /**
     * Reads the next line of at most {@code maxLength} octets including CRLF, consuming what it
     * returns. Bytes of an incomplete line are left in {@code in} unless they are already too many.
     */
    public Result next(ByteBuf in, int maxLength) {
        int lf = in.indexOf(in.readerIndex(), in.writerIndex(), (byte) '\n');
        if (skipping) {
            if (lf < 0) {
                in.skipBytes(in.readableBytes());
                return NEED_MORE;
            }
            in.readerIndex(lf + 1);
            skipping = false;
            return new TooLong();
        }
        if (lf < 0) {
            if (in.readableBytes() > maxLength) {
                in.skipBytes(in.readableBytes());
                skipping = true;
            }
            return NEED_MORE;
        }
        int length = lf - in.readerIndex() + 1;
        if (length > maxLength) {
            in.readerIndex(lf + 1);
            return new TooLong();
        }
        int contentLength = length - 1;
        if (contentLength > 0 && in.getByte(lf - 1) == '\r') {
            contentLength--;
        }
        byte[] bytes = new byte[contentLength];
        in.getBytes(in.readerIndex(), bytes);
        in.readerIndex(lf + 1);
        return new Line(bytes);
    }

    /**
     * True when the unread input starts with {@code prefix} (ASCII, case-insensitive); false when
     * fewer bytes than the prefix are buffered. Lets the session pick a line limit per command.
     */
    public static boolean startsWithIgnoreCase(ByteBuf in, String prefix) {
        if (in.readableBytes() < prefix.length()) {
            return false;
        }
        for (int i = 0; i < prefix.length(); i++) {
            int b = in.getByte(in.readerIndex() + i) & 0xff;
            if (Character.toUpperCase(b) != Character.toUpperCase(prefix.charAt(i))) {
                return false;
            }
        }
        return true;
    }

    /** True while the rest of a too-long line is being skipped. */
    public boolean skipping() {
        return skipping;
    }

    /** Forgets a line being skipped (after STARTTLS, when all buffered input is dropped). */
    public void reset() {
        skipping = false;
    }
}
