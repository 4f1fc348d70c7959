package io.postern.milter;

/** A milter said something the protocol does not allow: the conversation cannot go on. */
final class MilterProtocolException extends RuntimeException {
    MilterProtocolException(String message) {
        super(message);
    }
}
