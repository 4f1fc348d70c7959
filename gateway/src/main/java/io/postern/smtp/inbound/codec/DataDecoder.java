package io.postern.smtp.inbound.codec;

/**
 * The DATA framing of RFC 5321 4.5.2: removes dot-stuffing and finds the end of the message.
 * Only {@code <CRLF>.<CRLF>} ends DATA (the SMTP smuggling defence): a dot line after a bare LF
 * or a bare CR is content, never an end. Bare line endings are passed on unchanged to the
 * {@link MessageStream}, which rejects or normalises them. Works on raw bytes with no Netty
 * types so that it can be fuzzed. Mutable, one per DATA command.
 */
public final class DataDecoder {
    private enum State { LINE_START, MIDDLE, CR, DOT, DOT_CR }

    /** Where decoded content goes. */
    @FunctionalInterface
    public interface Output {
        void write(byte[] bytes, int offset, int length);
    }

    private final Output output;
    private final byte[] buffer = new byte[8192];
    private int buffered;
    // DATA begins at the start of a line: the CRLF after the DATA command counts as one.
    private State state = State.LINE_START;
    private boolean finished;

    public DataDecoder(Output output) {
        this.output = output;
    }

    /**
     * Decodes {@code bytes[offset, offset+length)}; returns how many bytes were consumed. Stops
     * right after the end-of-data line, leaving the rest (pipelined commands) to the caller.
     */
    public int decode(byte[] bytes, int offset, int length) {
        int i = offset;
        int end = offset + length;
        while (i < end && !finished) {
            byte b = bytes[i++];
            step(b);
        }
        flush();
        return i - offset;
    }

    /** True once {@code <CRLF>.<CRLF>} has been read. */
    public boolean finished() {
        return finished;
    }

    private void step(byte b) {
        switch (state) {
            case LINE_START -> {
                if (b == '.') {
                    state = State.DOT;
                } else {
                    middle(b);
                }
            }
            case MIDDLE -> middle(b);
            case CR -> {
                if (b == '\n') {
                    emit((byte) '\r');
                    emit((byte) '\n');
                    state = State.LINE_START;
                } else {
                    emit((byte) '\r');
                    state = State.MIDDLE;
                    middle(b);
                }
            }
            case DOT -> {
                if (b == '\r') {
                    state = State.DOT_CR;
                } else {
                    // A leading dot followed by more text was added by the client: drop it.
                    state = State.MIDDLE;
                    middle(b);
                }
            }
            case DOT_CR -> {
                if (b == '\n') {
                    finished = true;
                } else {
                    // "." then a bare CR: not an end; the dot was stuffing, the CR is content.
                    state = State.CR;
                    step(b);
                }
            }
        }
    }

    private void middle(byte b) {
        if (b == '\r') {
            state = State.CR;
        } else {
            emit(b);
            state = State.MIDDLE;
        }
    }

    private void emit(byte b) {
        if (buffered == buffer.length) {
            flush();
        }
        buffer[buffered++] = b;
    }

    private void flush() {
        if (buffered > 0) {
            output.write(buffer, 0, buffered);
            buffered = 0;
        }
    }
}
