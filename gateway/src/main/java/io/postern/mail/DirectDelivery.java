package io.postern.mail;

import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/**
 * Delivery before the message is acknowledged, for a node that holds the mailboxes itself (role
 * {@code all}) or hands them to delivery workers over LMTP (role {@code front}): when every
 * recipient expands to local mailboxes only, the message is written into them (each spool file
 * fsync'd and linked, its directory synced, here or on a worker) and needs no queue files. The
 * message carries its durable queue id, marked {@link QueuedMessage.Attempt#FIRST}: the same
 * identity the queue's retries give it, so a retry finds a copy this attempt wrote. Completes with
 * empty, having written nothing, when any recipient has a remote target or a problem, or when no
 * worker took the message in time (the queue then takes the whole message); otherwise with one
 * result per recipient, as {@link DeliveryAgent#deliver}. Thread-safe.
 */
public interface DirectDelivery {
    CompletableFuture<Optional<List<DeliveryResult>>> deliverIfLocal(QueuedMessage message,
                                                                     List<EnvelopeRecipient> recipients);
}
