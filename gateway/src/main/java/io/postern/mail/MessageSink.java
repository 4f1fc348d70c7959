package io.postern.mail;

/**
 * Where a protocol front end puts a message it is receiving: the queue for SMTP and submission,
 * the delivery layer for LMTP. Implementations are thread-safe; each {@link IncomingMessage} is
 * used by one session at a time.
 */
public interface MessageSink {

    /**
     * Starts one message. Throws {@link SinkException} when it cannot even start (disk full: the
     * front end answers 452 4.3.1).
     */
    IncomingMessage open(Envelope envelope) throws SinkException;
}
