package io.postern.mail;

import java.io.IOException;
import java.io.OutputStream;

/**
 * An {@link IncomingMessage} as an output stream, for writers that speak {@link OutputStream}
 * (bounce reports, the milters' rewritten message). A sink failure comes out as
 * {@link Failed}, which keeps the {@link SinkException} and its enhanced status. Mutable, one writer.
 */
public final class MessageOutput extends OutputStream {
    private final IncomingMessage message;

    public MessageOutput(IncomingMessage message) {
        this.message = message;
    }

    /** The sink refused a write. */
    public static final class Failed extends IOException {
        private final SinkException failure;

        Failed(SinkException failure) {
            super(failure.getMessage(), failure);
            this.failure = failure;
        }

        public SinkException failure() {
            return failure;
        }
    }

    @Override
    public void write(int b) throws IOException {
        write(new byte[] {(byte) b}, 0, 1);
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
        try {
            message.write(b, off, len);
        } catch (SinkException e) {
            throw new Failed(e);
        }
    }
}
