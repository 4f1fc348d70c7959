package io.postern.mail;

import java.time.Instant;
import java.util.Objects;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The identity a {@code front} node gives a queued message when it hands it to a delivery worker
 * (LMTP {@code MAIL FROM ... XPOSTERN-KEY=}): the front's queue id, the message's arrival
 * (seconds), whether the front may have handed it over before ({@code repeat}), and the front's
 * origin (which queue the id belongs to: ids are unique only within one queue). With it every
 * worker on the shared spool names the Maildir copy the same way and a retry on another worker
 * finds the first copy instead of writing a second. Immutable.
 *
 * <p>Wire form {@code <queue id>:<epoch seconds>:<F|R>:<origin>}: letters, digits, {@code . -}
 * and the separators only, so it is a valid esmtp-value and safe in a file name.
 */
public record HandoffKey(String queueId, Instant arrival, boolean repeat, String origin) {
    /** The extension keyword (LHLO) and MAIL parameter name. */
    public static final String KEYWORD = "XPOSTERN-KEY";
    private static final Pattern ID = Pattern.compile("[A-Za-z0-9]{1,32}");
    private static final Pattern ORIGIN = Pattern.compile("[A-Za-z0-9][A-Za-z0-9.-]{0,63}");
    private static final Pattern WIRE = Pattern.compile("([A-Za-z0-9]{1,32}):([0-9]{1,12}):([FR]):([A-Za-z0-9][A-Za-z0-9.-]{0,63})");

    public HandoffKey {
        Objects.requireNonNull(arrival);
        if (queueId == null || !ID.matcher(queueId).matches()) {
            throw new IllegalArgumentException("queue id not usable in a hand-off key");
        }
        if (origin == null || !ORIGIN.matcher(origin).matches()) {
            throw new IllegalArgumentException("origin not usable in a hand-off key");
        }
        arrival = Instant.ofEpochSecond(Math.max(0, arrival.getEpochSecond()));
    }

    /**
     * The key a front gives {@code message} of its durable queue: its queue id and its envelope's
     * arrival, so that the hand-off before the reply and every queued retry of the same message
     * carry the same key (only {@code repeat} differs). Empty for a message that is not from the
     * durable queue or whose id no file name may hold: it goes without a key.
     */
    public static Optional<HandoffKey> of(QueuedMessage message, boolean repeat, String origin) {
        if (message.attempt() == QueuedMessage.Attempt.UNTRACKED || !ID.matcher(message.queueId()).matches()) {
            return Optional.empty();
        }
        return Optional.of(new HandoffKey(message.queueId(), message.envelope().trace().arrival(), repeat, origin));
    }

    /** The parameter value; empty for anything not of the wire form. */
    public static Optional<HandoffKey> parse(String value) {
        Matcher m = WIRE.matcher(value);
        if (!m.matches()) {
            return Optional.empty();
        }
        return Optional.of(new HandoffKey(m.group(1), Instant.ofEpochSecond(Long.parseLong(m.group(2))),
                m.group(3).equals("R"), m.group(4)));
    }

    public String wire() {
        return queueId + ":" + arrival.getEpochSecond() + ":" + (repeat ? "R" : "F") + ":" + origin;
    }

    /** {@code text} reduced to what an origin may hold (other characters become '-'), at most 64. */
    public static String safeOrigin(String text) {
        String cleaned = text.replaceAll("[^A-Za-z0-9.-]", "-").replaceAll("^[^A-Za-z0-9]+", "");
        cleaned = cleaned.length() > 64 ? cleaned.substring(0, 64) : cleaned;
        return cleaned.isEmpty() ? "front" : cleaned;
    }
}
