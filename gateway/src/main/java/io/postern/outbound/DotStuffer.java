package io.postern.outbound;

import io.netty.buffer.ByteBuf;

/**
 * Streams message content into DATA form (RFC 5321 4.5.2): a '.' at the start of a line is
 * doubled, a missing final CRLF is added, then the terminating {@code .CRLF}. Works chunk by chunk
 * so the message is never whole in heap. Mutable, one per message.
 */
final class DotStuffer {
    private boolean atLineStart = true;
    private byte last1 = '\n';
    private byte last2 = '\r';
    private boolean eightBit;

    /** Appends {@code length} bytes of content, stuffed, to {@code out}. */
    void stuff(byte[] chunk, int offset, int length, ByteBuf out) {
        int runStart = offset;
        for (int i = offset; i < offset + length; i++) {
            byte b = chunk[i];
            if (atLineStart && b == '.') {
                out.writeBytes(chunk, runStart, i - runStart);
                out.writeByte('.');
                runStart = i;
            }
            if (b < 0) {
                eightBit = true;
            }
            atLineStart = b == '\n';
            last2 = last1;
            last1 = b;
        }
        out.writeBytes(chunk, runStart, offset + length - runStart);
    }

    /** Appends the end of DATA: CRLF if the content did not end with one, then {@code .CRLF}. */
    void finish(ByteBuf out) {
        if (!(last2 == '\r' && last1 == '\n')) {
            out.writeByte('\r').writeByte('\n');
        }
        out.writeByte('.').writeByte('\r').writeByte('\n');
    }

    /** Whether any byte above 127 went through. */
    boolean sawEightBit() {
        return eightBit;
    }
}
