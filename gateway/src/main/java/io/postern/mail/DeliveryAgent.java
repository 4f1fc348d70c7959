package io.postern.mail;

import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/**
 * What the queue calls to deliver a message to some of its recipients (those not yet done).
 * Implemented by routing: expand, then write local spools or send to a remote MX. Completes with
 * exactly one result per given recipient, in any order; never completes exceptionally for a
 * recipient-level problem (that is a DEFERRED or FAILED result). Thread-safe.
 */
public interface DeliveryAgent {
    CompletableFuture<List<DeliveryResult>> deliver(QueuedMessage message, List<EnvelopeRecipient> recipients);

    /**
     * Delivery while the client waits for the reply ({@link DirectDelivery}), on the caller's
     * thread: results as {@link #deliver}, or empty when nothing reached the destination and the
     * queue should take the message as if this had never been tried (an agent that cannot deliver
     * now without a long wait says so instead of waiting). By default: {@link #deliver}, awaited.
     */
    default Optional<List<DeliveryResult>> deliverBeforeReply(QueuedMessage message, List<EnvelopeRecipient> recipients) {
        return Optional.of(deliver(message, recipients).join());
    }
}
