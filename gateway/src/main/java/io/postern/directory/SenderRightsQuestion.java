package io.postern.directory;

import java.util.Optional;

/**
 * How to read a sender's rights ({@link SenderRights}) from the directory, as configured under
 * {@code relay.permission} and {@code relay.limits}: membership of one group (nested membership
 * counts) and/or an attribute (with an optional value) on the user's own entry grant relaying;
 * two attributes on the user's entry may carry per-sender limits. Every part is optional; with
 * none set nothing is asked and every sender is {@link SenderRights#UNRESTRICTED}. Immutable;
 * part of the cache key.
 *
 * @param group the DN of the group whose (nested) members may relay
 * @param membership how nested membership of {@code group} is found
 * @param attribute an attribute on the user's entry that grants relaying when present
 * @param value the value {@code attribute} must hold (case-insensitive); empty: any value
 * @param recipientsPerMessageAttribute an attribute holding the user's recipients-per-message cap
 * @param messagesPerHourAttribute an attribute holding the user's messages-per-hour cap
 */
public record SenderRightsQuestion(Optional<String> group, Membership membership, Optional<String> attribute, Optional<String> value,
                                   Optional<String> recipientsPerMessageAttribute,
                                   Optional<String> messagesPerHourAttribute) {

    /**
     * How group membership is found: {@code AUTO} follows {@code directory.groups.expansion}
     * (in-chain on Active Directory, a walk elsewhere); {@code IN_CHAIN} is one base search with
     * AD's rule 1.2.840.113556.1.4.1941; {@code WALK} climbs with {@code (member=<dn>)} searches up
     * to {@code directory.groups.maxDepth}; {@code MEMBER_OF} trusts the user's {@code memberOf}
     * (OpenLDAP's memberof overlay: direct membership only unless the overlay is nested).
     */
    public enum Membership { AUTO, IN_CHAIN, WALK, MEMBER_OF }

    public SenderRightsQuestion {
        java.util.Objects.requireNonNull(membership);
    }

    /** Nothing configured: relaying is not a directory permission and no limit comes from it. */
    public static final SenderRightsQuestion NONE = new SenderRightsQuestion(Optional.empty(), Membership.AUTO,
            Optional.empty(), Optional.empty(), Optional.empty(), Optional.empty());

    /** Whether relaying needs a permission from the directory. */
    public boolean permissionRequired() {
        return group.isPresent() || attribute.isPresent();
    }

    /** Whether anything at all must be read from the directory. */
    public boolean asksDirectory() {
        return permissionRequired() || recipientsPerMessageAttribute.isPresent() || messagesPerHourAttribute.isPresent();
    }
}
