package io.postern.mail;

import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/**
 * Delivery before the message is acknowledged, for a node that holds the mailboxes itself (role
 * {@code all}): when every recipient expands to local mailboxes only, the message is written into
 * them (each spool file fsync'd and linked, its directory synced) and needs no queue files. Completes
 * with empty, having written nothing, when any recipient has a remote target or a problem (the
 * queue then takes the whole message); otherwise with one result per recipient, as
 * {@link DeliveryAgent#deliver}. Thread-safe.
 */
public interface DirectDelivery {
    CompletableFuture<Optional<List<DeliveryResult>>> deliverIfLocal(QueuedMessage message,
                                                                     List<EnvelopeRecipient> recipients);
}
