package io.postern.mail;

import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/**
 * A message being received, streamed in as it arrives so that its size is bounded by the disk,
 * not the heap. Bytes are the message as it will be stored: CRLF line ends, dot-unstuffed, trace
 * headers already prepended. Mutable; one session at a time.
 */
public interface IncomingMessage {

    /** Appends content; may block briefly on disk I/O, never on fsync. */
    void write(byte[] bytes, int offset, int length) throws SinkException;

    /**
     * Makes the message durable (or delivers it, for LMTP) and completes with one outcome per
     * envelope recipient, in envelope order. Completes off the caller's thread: an SMTP session
     * answers 250 only when the future completes.
     */
    CompletableFuture<Acceptance> commit();

    /**
     * As {@link #commit()}, with {@code envelope} instead of the one the message was opened with
     * (a content filter changed the sender or the recipients) and, when {@code held}, in the
     * queue's hold state (quarantine: kept, listed, delivered only when an operator releases it).
     * A sink that cannot do either refuses with {@link UnsupportedOperationException}; milters
     * apply to queueing listeners only.
     */
    default CompletableFuture<Acceptance> commit(Envelope envelope, boolean held) {
        throw new UnsupportedOperationException("this sink cannot change a message's envelope or hold it");
    }

    /** The id the message will be known by once committed, when the sink names it before (the queue does). */
    default Optional<String> queueId() {
        return Optional.empty();
    }

    /** Drops everything written so far; nothing of it is ever delivered. Idempotent. */
    void abort();
}
