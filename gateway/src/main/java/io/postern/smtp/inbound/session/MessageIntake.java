package io.postern.smtp.inbound.session;

import io.netty.buffer.ByteBuf;
import io.postern.smtp.inbound.codec.DataDecoder;
import io.postern.smtp.reply.Reply;
import java.util.Optional;

/**
 * Moves message octets from the session's input into its transaction: DATA (dot-stuffed text up
 * to {@code <CRLF>.<CRLF>}, RFC 5321 4.1.1.4) and BDAT chunks (exactly the announced octets,
 * RFC 3030). A BDAT chunk that is refused is still read off the wire, then discarded and answered.
 * The session decides when a phase starts, keeps the timeouts and answers; this class only
 * frames. The copy buffer is allocated on the first DATA/BDAT: an idle session holds no more than
 * its small input buffer. Mutable, one per session, used on its event loop only.
 */
final class MessageIntake {
    private static final int SCRATCH = 8192;

    /** What one read did: the octets taken from the input and whether the phase ended with them. */
    record Read(int octets, boolean ended) {
    }

    private byte[] scratch;
    private DataDecoder decoder;
    private long chunkRemaining;
    private boolean lastChunk;
    private Optional<Reply> chunkRefusal = Optional.empty();

    /** DATA was accepted (354): what follows is the message text. */
    void startData(Transaction t) {
        decoder = new DataDecoder(t.stream::write);
    }

    Read readData(ByteBuf input) {
        byte[] buffer = scratch();
        int length = Math.min(input.readableBytes(), SCRATCH);
        input.getBytes(input.readerIndex(), buffer, 0, length);
        int consumed = decoder.decode(buffer, 0, length);
        input.skipBytes(consumed);
        boolean ended = decoder.finished();
        if (ended) {
            decoder = null;
        }
        return new Read(consumed, ended);
    }

    /** A BDAT command: {@code size} octets follow; {@code refusal}, when present, is the answer after them. */
    void startChunk(long size, boolean last, Optional<Reply> refusal) {
        chunkRemaining = size;
        lastChunk = last;
        chunkRefusal = refusal;
    }

    /** True when the chunk has no octets left to read (at once for {@code BDAT 0}). */
    boolean chunkComplete() {
        return chunkRemaining == 0;
    }

    Read readChunk(ByteBuf input, Transaction t) {
        byte[] buffer = scratch();
        int length = (int) Math.min(Math.min(input.readableBytes(), SCRATCH), chunkRemaining);
        input.readBytes(buffer, 0, length);
        chunkRemaining -= length;
        if (chunkRefusal.isEmpty()) {
            t.stream.write(buffer, 0, length);
        }
        return new Read(length, chunkRemaining == 0);
    }

    boolean lastChunk() {
        return lastChunk;
    }

    /** The refusal of the chunk just read, once. */
    Optional<Reply> takeChunkRefusal() {
        Optional<Reply> refusal = chunkRefusal;
        chunkRefusal = Optional.empty();
        return refusal;
    }

    private byte[] scratch() {
        if (scratch == null) {
            scratch = new byte[SCRATCH];
        }
        return scratch;
    }
}
