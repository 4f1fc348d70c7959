package io.postern.config;

import java.util.Optional;

/**
 * {@code relay.limits}: per-sender limits for authenticated senders. The defaults apply to every
 * sender; a user's entry may carry its own values in the named attributes (a value there wins,
 * also when higher). 0 means no limit of that kind. Counts are kept per front node: with
 * {@code frontNodes} above 1 each node allows its share, {@code ceil(limit / frontNodes)}
 * messages per hour, so that the cluster as a whole allows about the limit (docs/routing.md says
 * what is approximate). Recipients per message need no sharing (one message is on one node).
 * Immutable.
 *
 * @param recipientsPerMessage recipients one sender may address in one message (452 4.5.3 past it)
 * @param messagesPerHour messages one sender may send in any sliding hour (451 4.7.1 past it)
 * @param recipientsPerMessageAttribute the attribute on the user's entry that overrides {@code recipientsPerMessage}
 * @param messagesPerHourAttribute the attribute on the user's entry that overrides {@code messagesPerHour}
 * @param frontNodes how many front nodes share the hourly limit
 */
public record SenderLimitsConfig(int recipientsPerMessage, int messagesPerHour,
                                 Optional<String> recipientsPerMessageAttribute,
                                 Optional<String> messagesPerHourAttribute, int frontNodes) {

    public static final int MAX_LIMIT = 1_000_000;

    public static final SenderLimitsConfig NONE = new SenderLimitsConfig(0, 0, Optional.empty(), Optional.empty(), 1);

    static SenderLimitsConfig from(ConfigNode node) {
        return new SenderLimitsConfig(
                node.integer("recipientsPerMessage", 0, 0, MAX_LIMIT),
                node.integer("messagesPerHour", 0, 0, MAX_LIMIT),
                RelayPermissionConfig.attributeName(node, "recipientsPerMessageAttribute"),
                RelayPermissionConfig.attributeName(node, "messagesPerHourAttribute"),
                node.integer("frontNodes", 1, 1, 1000));
    }
}
