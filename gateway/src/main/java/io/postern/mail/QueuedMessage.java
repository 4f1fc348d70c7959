package io.postern.mail;

import java.util.Objects;

/** A durable message as the queue hands it to delivery: its id, its envelope and a way to read its content. */
public record QueuedMessage(String queueId, Envelope envelope, MessageContent content) {
    public QueuedMessage {
        Objects.requireNonNull(queueId);
        Objects.requireNonNull(envelope);
        Objects.requireNonNull(content);
    }
}
