package io.postern.mail;

import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * What the queue calls to deliver a message to some of its recipients (those not yet done).
 * Implemented by routing: expand, then write local spools or send to a remote MX. Completes with
 * exactly one result per given recipient, in any order; never completes exceptionally for a
 * recipient-level problem (that is a DEFERRED or FAILED result). Thread-safe.
 */
public interface DeliveryAgent {
    CompletableFuture<List<DeliveryResult>> deliver(QueuedMessage message, List<EnvelopeRecipient> recipients);
}
