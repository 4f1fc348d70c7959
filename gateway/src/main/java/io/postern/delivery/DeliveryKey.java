package io.postern.delivery;

import io.postern.mail.HandoffKey;
import io.postern.mail.MailAddress;
import io.postern.mail.QueuedMessage;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.HexFormat;
import java.util.Objects;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * The identity of one queued message on its way into mailboxes: its durable queue id, its arrival
 * and whether the queue says it may have been delivered before ({@code repeat}). With it a Maildir
 * delivery gets a name that is the same on every attempt ({@link #stem}), so a redelivery after a
 * crash finds the first copy instead of writing a second. Immutable.
 */
public record DeliveryKey(String queueId, Instant arrival, boolean repeat, Optional<String> origin) {
    /**
     * True for a front's key: any delivery worker on the shared spool may have written the copy,
     * under its own host name, so a repeat looks for the stem whatever host follows it.
     */
    public boolean anyHost() {
        return origin.isPresent();
    }

    /** Queue ids become part of file names: only letters and digits, bounded. */
    private static final Pattern SAFE_ID = Pattern.compile("[A-Za-z0-9]{1,32}");

    public DeliveryKey {
        Objects.requireNonNull(queueId);
        Objects.requireNonNull(arrival);
        Objects.requireNonNull(origin);
        if (!SAFE_ID.matcher(queueId).matches()) {
            throw new IllegalArgumentException("queue id not usable in a file name");
        }
    }

    /** A key of this node's own queue. */
    public DeliveryKey(String queueId, Instant arrival, boolean repeat) {
        this(queueId, arrival, repeat, Optional.empty());
    }

    /**
     * The key of a message from the durable queue, or of one a front node handed over with its
     * {@link HandoffKey} (the front's queue id and origin, so that every worker on the shared spool
     * names it alike); empty for an untracked one (plain LMTP, tests) or an id that cannot be part
     * of a file name: those are delivered under unique names as before.
     */
    public static Optional<DeliveryKey> of(QueuedMessage message) {
        Optional<HandoffKey> handed = message.envelope().handoffKey();
        if (handed.isPresent()) {
            HandoffKey k = handed.get();
            return Optional.of(new DeliveryKey(k.queueId(), k.arrival(), k.repeat(), Optional.of(k.origin())));
        }
        if (message.attempt() == QueuedMessage.Attempt.UNTRACKED || !SAFE_ID.matcher(message.queueId()).matches()) {
            return Optional.empty();
        }
        return Optional.of(new DeliveryKey(message.queueId(), message.envelope().trace().arrival(),
                message.attempt() == QueuedMessage.Attempt.REPEAT));
    }

    /**
     * The time and unique parts of the Maildir name for this message in {@code mailbox}:
     * {@code <arrival seconds>.Q<queue id>_<12 hex digits of SHA-256 of the mailbox address>}.
     * No dots, slashes or colons; the writer appends {@code .<host>,S=<size>}. A handed-over key
     * hashes its origin with the mailbox: queue ids are unique only within one front's queue.
     */
    public String stem(MailAddress mailbox) {
        try {
            String hashed = origin.map(o -> o + "\n").orElse("") + mailbox.key();
            byte[] digest = MessageDigest.getInstance("SHA-256")
                    .digest(hashed.getBytes(StandardCharsets.UTF_8));
            return Math.max(0, arrival.getEpochSecond()) + ".Q" + queueId + "_"
                    + HexFormat.of().formatHex(digest, 0, 6);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 missing from the JDK", e);
        }
    }
}
