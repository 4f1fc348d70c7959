package io.postern.mailbox;

import java.io.IOException;
import java.io.InputStream;

/**
 * A stored message as it goes on the wire before dot-stuffing: bare LF becomes CRLF, a missing
 * final line end is added, and for mboxrd spools one {@code >} is removed from lines matching
 * {@code >+From }. Streams with fixed buffers (never the whole message in heap). Mutable, one
 * reader.
 */
public final class CanonicalMessageStream extends InputStream {
    private static final byte[] FROM = {'F', 'r', 'o', 'm', ' '};
    /** A run of {@code >} longer than this is passed through without looking for {@code From }. */
    private static final int MAX_QUOTE_SCAN = 1000;

    private final InputStream raw;
    private final boolean unquoteMboxrd;
    private final byte[] in = new byte[16 * 1024];
    private byte[] out = new byte[2 * 16 * 1024 + MAX_QUOTE_SCAN + 16];
    private int outPos;
    private int outLen;
    private final byte[] scan = new byte[MAX_QUOTE_SCAN + FROM.length];
    private int scanLen;
    private int fromPos;
    private boolean scanning;
    private boolean atLineStart = true;
    private boolean lastWasCr;
    private boolean emittedAny;
    private boolean eof;

    public CanonicalMessageStream(InputStream raw, boolean unquoteMboxrd) {
        this.raw = raw;
        this.unquoteMboxrd = unquoteMboxrd;
    }

    @Override
    public int read() throws IOException {
        byte[] one = new byte[1];
        int n = read(one, 0, 1);
        return n < 0 ? -1 : one[0] & 0xff;
    }

    @Override
    public int read(byte[] buffer, int offset, int length) throws IOException {
        if (length == 0) {
            return 0;
        }
        while (outPos == outLen) {
            if (eof) {
                return -1;
            }
            fill();
        }
        int n = Math.min(length, outLen - outPos);
        System.arraycopy(out, outPos, buffer, offset, n);
        outPos += n;
        return n;
    }

    private void fill() throws IOException {
        outPos = 0;
        outLen = 0;
        int n = raw.read(in);
        if (n < 0) {
            eof = true;
            if (scanning) {
                flushScan(0);
            }
            if (emittedAny && !atLineStart) {
                emit((byte) '\r');
                emit((byte) '\n');
            }
            return;
        }
        int i = 0;
        while (i < n) {
            if (scanning || (atLineStart && unquoteMboxrd && in[i] == '>')) {
                accept(in[i++]);
                continue;
            }
            // Fast path: copy up to the next LF in one go, then end the line with CRLF.
            int lf = i;
            while (lf < n && in[lf] != '\n') {
                lf++;
            }
            if (lf > i) {
                emit(in, i, lf - i);
                lastWasCr = in[lf - 1] == '\r';
                atLineStart = false;
            }
            if (lf < n) {
                accept((byte) '\n');
            }
            i = lf + 1;
        }
    }

    private void emit(byte[] bytes, int from, int length) {
        if (outLen + length > out.length) {
            byte[] bigger = new byte[Math.max(out.length * 2, outLen + length)];
            System.arraycopy(out, 0, bigger, 0, outLen);
            out = bigger;
        }
        System.arraycopy(bytes, from, out, outLen, length);
        outLen += length;
        emittedAny = true;
    }

    private void accept(byte b) {
        if (scanning) {
            if (fromPos == 0 && b == '>' && scanLen < MAX_QUOTE_SCAN) {
                scan[scanLen++] = b;
                return;
            }
            if (b == FROM[fromPos]) {
                scan[scanLen++] = b;
                fromPos++;
                if (fromPos == FROM.length) {
                    flushScan(1);
                }
                return;
            }
            flushScan(0);
        }
        if (b == '\n') {
            if (!lastWasCr) {
                emit((byte) '\r');
            }
            emit(b);
            atLineStart = true;
            lastWasCr = false;
            return;
        }
        if (atLineStart && unquoteMboxrd && b == '>') {
            scanning = true;
            scan[0] = b;
            scanLen = 1;
            fromPos = 0;
            atLineStart = false;
            lastWasCr = false;
            return;
        }
        emit(b);
        lastWasCr = b == '\r';
        atLineStart = false;
    }

    private void flushScan(int skip) {
        for (int i = skip; i < scanLen; i++) {
            emit(scan[i]);
        }
        scanning = false;
        scanLen = 0;
        lastWasCr = false;
        atLineStart = false;
    }

    private void emit(byte b) {
        if (outLen == out.length) {
            byte[] bigger = new byte[out.length * 2];
            System.arraycopy(out, 0, bigger, 0, outLen);
            out = bigger;
        }
        out[outLen++] = b;
        emittedAny = true;
    }

    @Override
    public void close() throws IOException {
        raw.close();
    }
}
