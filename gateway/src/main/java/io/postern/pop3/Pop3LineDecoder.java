package io.postern.pop3;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.ByteToMessageDecoder;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * Splits the client's octets into lines at LF (a CR before it is dropped), one line per decode
 * call so that the session sees a command before the next is decoded (needed to discard what is
 * pipelined behind STLS). A line longer than the limit is skipped up to its LF and reported as
 * {@link Pop3Input.TooLong}; never buffers more than the limit. The limit is the longest SASL
 * response; the session holds command lines to the shorter RFC 2449 limit, as only it knows
 * which kind of line comes next. Mutable, one per connection.
 */
final class Pop3LineDecoder extends ByteToMessageDecoder {
    private final int maxLineLength;
    private boolean skipping;

    Pop3LineDecoder(int maxLineLength) {
        this.maxLineLength = maxLineLength;
    }

    @Override
    protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
        int start = in.readerIndex();
        int lf = in.indexOf(start, in.writerIndex(), (byte) '\n');
        if (lf < 0) {
            if (in.readableBytes() > maxLineLength) {
                skipping = true;
                in.skipBytes(in.readableBytes());
            }
            return;
        }
        int length = lf - start;
        in.readerIndex(lf + 1);
        if (skipping || length + 1 > maxLineLength) {
            skipping = false;
            out.add(new Pop3Input.TooLong());
            return;
        }
        int textLength = length > 0 && in.getByte(lf - 1) == '\r' ? length - 1 : length;
        out.add(new Pop3Input.Line(in.toString(start, textLength, StandardCharsets.UTF_8), length + 1));
    }

    /** Drops every octet received but not yet decoded (the client's pipelining behind STLS). */
    void discardBuffered() {
        ByteBuf buffered = internalBuffer();
        if (buffered.isReadable()) {
            buffered.skipBytes(buffered.readableBytes());
        }
        skipping = false;
    }
}
