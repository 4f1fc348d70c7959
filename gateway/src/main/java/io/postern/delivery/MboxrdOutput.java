package io.postern.delivery;

import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.OutputStream;

/**
 * Turns stored message bytes (CRLF) into one mboxrd body: CRLF becomes LF, and every line that
 * starts with any number of {@code >} followed by {@code From } gets one more {@code >}, so a
 * reader can undo the quoting exactly. Streams without buffering whole lines (a line of a
 * million {@code >} costs a counter, not memory). Mutable, one writer.
 */
final class MboxrdOutput extends FilterOutputStream {
    private static final byte[] FROM = {'F', 'r', 'o', 'm', ' '};

    private boolean atLineStart = true;
    private long quotes;
    private int matched;
    private boolean pendingCr;
    private int last = '\n';

    MboxrdOutput(OutputStream out) {
        super(out);
    }

    @Override
    public void write(int b) throws IOException {
        b &= 0xff;
        if (pendingCr) {
            pendingCr = false;
            if (b == '\n') {
                quoteStage('\n');
                return;
            }
            quoteStage('\r');
        }
        if (b == '\r') {
            pendingCr = true;
            return;
        }
        quoteStage(b);
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
        for (int i = off; i < off + len; i++) {
            write(b[i]);
        }
    }

    private void quoteStage(int b) throws IOException {
        if (!atLineStart) {
            emit(b);
            if (b == '\n') {
                atLineStart = true;
            }
            return;
        }
        if (matched == 0 && b == '>') {
            quotes++;
            return;
        }
        if (b == FROM[matched]) {
            matched++;
            if (matched == FROM.length) {
                emit('>');
                flushPrefix();
                atLineStart = false;
            }
            return;
        }
        flushPrefix();
        atLineStart = false;
        emit(b);
        if (b == '\n') {
            atLineStart = true;
        }
    }

    private void flushPrefix() throws IOException {
        for (long i = 0; i < quotes; i++) {
            emit('>');
        }
        for (int i = 0; i < matched; i++) {
            emit(FROM[i]);
        }
        quotes = 0;
        matched = 0;
    }

    private void emit(int b) throws IOException {
        out.write(b);
        last = b;
    }

    /** Ends the body: what is pending, a final LF if missing, and the blank line that separates messages. */
    void finishMessage() throws IOException {
        if (pendingCr) {
            pendingCr = false;
            quoteStage('\r');
        }
        if (atLineStart) {
            flushPrefix();
        }
        if (last != '\n') {
            emit('\n');
        }
        emit('\n');
        out.flush();
    }

    @Override
    public void close() throws IOException {
        flush();
    }
}
