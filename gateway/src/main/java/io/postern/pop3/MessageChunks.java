package io.postern.pop3;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.stream.ChunkedInput;
import java.io.IOException;
import java.io.InputStream;

/**
 * A message streamed as a POP3 multi-line response body: dot-stuffed, ended by {@code .CRLF};
 * for TOP, cut after the header, the blank line and {@code bodyLines} lines. Reads the message
 * (already CRLF-canonical, see io.postern.mailbox.CanonicalMessageStream) in fixed chunks; the
 * message is never whole in memory. Mutable, one transfer; the ChunkedWriteHandler closes it.
 */
final class MessageChunks implements ChunkedInput<ByteBuf> {
    static final int CHUNK = 16 * 1024;

    private final InputStream source;
    private final long bodyLines;
    private final byte[] in = new byte[CHUNK];
    private boolean atLineStart = true;
    private boolean lineHasContent;
    private boolean inHeader = true;
    private long bodyLinesLeft;
    private boolean limitReached;
    private boolean done;
    private long progress;

    /** {@code bodyLines} negative: the whole message (RETR). */
    MessageChunks(InputStream source, long bodyLines) {
        this.source = source;
        this.bodyLines = bodyLines;
        this.bodyLinesLeft = bodyLines;
    }

    @Override
    public boolean isEndOfInput() {
        return done;
    }

    @Override
    public void close() throws Exception {
        source.close();
    }

    @Deprecated
    @Override
    public ByteBuf readChunk(ChannelHandlerContext ctx) throws Exception {
        return readChunk(ctx.alloc());
    }

    @Override
    public ByteBuf readChunk(ByteBufAllocator allocator) throws IOException {
        if (done) {
            return null;
        }
        int n = limitReached ? -1 : source.read(in);
        ByteBuf out = allocator.buffer(Math.max(n, 0) + Math.max(n, 0) / 2 + 8);
        // Line by line, copying whole runs: only a line's first octet needs a look (dot-stuffing).
        int i = 0;
        while (i < n && !limitReached) {
            if (atLineStart && in[i] == '.') {
                out.writeByte('.');
            }
            int lf = i;
            while (lf < n && in[lf] != '\n') {
                lf++;
            }
            int end = lf < n ? lf + 1 : n;
            out.writeBytes(in, i, end - i);
            int length = lf - i;
            lineHasContent |= length > 1 || (length == 1 && in[i] != '\r');
            if (lf < n) {
                lineEnded();
            } else {
                atLineStart = false;
            }
            i = end;
        }
        if (n < 0 || limitReached) {
            if (!atLineStart) {
                out.writeByte('\r').writeByte('\n');
            }
            out.writeByte('.').writeByte('\r').writeByte('\n');
            done = true;
        }
        progress += out.readableBytes();
        return out;
    }

    private void lineEnded() {
        atLineStart = true;
        if (inHeader) {
            if (!lineHasContent) {
                inHeader = false;
                limitReached = bodyLines == 0;
            }
        } else if (bodyLines > 0 && --bodyLinesLeft == 0) {
            limitReached = true;
        }
        lineHasContent = false;
    }

    @Override
    public long length() {
        return -1;
    }

    @Override
    public long progress() {
        return progress;
    }
}
