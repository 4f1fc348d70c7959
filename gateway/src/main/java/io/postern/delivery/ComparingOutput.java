package io.postern.delivery;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;

/**
 * An output stream that writes nothing: it compares every byte with the next byte of
 * {@code existing} and throws {@link Differs} at the first difference (or the end of
 * {@code existing}). Used to check that an mbox already holds what a delivery would append.
 * Mutable, one user.
 */
final class ComparingOutput extends OutputStream {
    /** The bytes differ; thrown to stop rendering early. */
    static final class Differs extends IOException {
        Differs() {
            super("bytes differ");
        }
    }

    private final InputStream existing;

    ComparingOutput(InputStream existing) {
        this.existing = existing;
    }

    @Override
    public void write(int b) throws IOException {
        if (existing.read() != (b & 0xff)) {
            throw new Differs();
        }
    }
}
