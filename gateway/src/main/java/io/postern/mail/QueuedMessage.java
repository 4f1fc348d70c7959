package io.postern.mail;

import java.util.Objects;

/**
 * A durable message as the queue hands it to delivery: its id, its envelope, a way to read its
 * content and what the queue knows about earlier attempts ({@link Attempt}). Immutable.
 */
public record QueuedMessage(String queueId, Envelope envelope, MessageContent content, Attempt attempt) {
    public QueuedMessage {
        Objects.requireNonNull(queueId);
        Objects.requireNonNull(envelope);
        Objects.requireNonNull(content);
        Objects.requireNonNull(attempt);
    }

    /** A message whose id is not a durable identity (an LMTP transaction, a test): {@link Attempt#UNTRACKED}. */
    public QueuedMessage(String queueId, Envelope envelope, MessageContent content) {
        this(queueId, envelope, content, Attempt.UNTRACKED);
    }

    /**
     * What delivery may assume about earlier attempts. With a durable queue id an agent can make
     * its output idempotent: name it by (queue id, target), and look for it before writing on a
     * {@link #REPEAT}.
     */
    public enum Attempt {
        /** The id is not durable or not unique over time: never use it to recognise an earlier delivery. */
        UNTRACKED,
        /** A durable queue id offered for the first time: nothing can have been delivered under it yet. */
        FIRST,
        /**
         * A durable queue id that was offered before (a retry, or a message found after a restart
         * whose last attempt may have delivered without its result being recorded).
         */
        REPEAT
    }
}
