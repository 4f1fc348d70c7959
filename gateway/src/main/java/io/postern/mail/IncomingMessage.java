package io.postern.mail;

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

    /** Drops everything written so far; nothing of it is ever delivered. Idempotent. */
    void abort();
}
