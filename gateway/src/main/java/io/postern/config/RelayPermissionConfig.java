package io.postern.config;

import com.unboundid.ldap.sdk.DN;
import com.unboundid.ldap.sdk.LDAPException;
import java.util.Optional;

/**
 * {@code relay.permission}: whether relaying to external domains is a directory permission.
 * Off by default (every authenticated session may relay). With {@code group} set, the group's
 * members (nested membership counts) may relay; with {@code attribute} set, users whose entry
 * holds it (with {@code value}, when given; compared case-insensitively) may; with both, either
 * grants it. Everyone else who logged in may send only to the local domains. Immutable.
 *
 * @param group the DN of the relay group, for example {@code CN=Mail Relay Users,OU=Groups,DC=corp,DC=example}
 * @param membership how nested membership is found ({@code auto}: in-chain on Active Directory, a walk elsewhere)
 * @param attribute an attribute on the user's entry that grants relaying
 * @param value the value the attribute must hold; empty: any value
 */
public record RelayPermissionConfig(Optional<String> group, Membership membership, Optional<String> attribute,
                                    Optional<String> value) {

    /** See {@code io.postern.directory.SenderRightsQuestion.Membership}. */
    public enum Membership { AUTO, IN_CHAIN, WALK, MEMBER_OF }

    public static final RelayPermissionConfig OFF = new RelayPermissionConfig(Optional.empty(), Membership.AUTO,
            Optional.empty(), Optional.empty());

    /** Whether relaying needs the permission. */
    public boolean enabled() {
        return group.isPresent() || attribute.isPresent();
    }

    static RelayPermissionConfig from(ConfigNode node) {
        Optional<String> group = node.optionalString("group").map(String::trim).filter(s -> !s.isEmpty());
        group.ifPresent(dn -> validDn(node, "group", dn));
        Membership membership = node.enumValue("membership", Membership.class, Membership.AUTO);
        Optional<String> attribute = attributeName(node, "attribute");
        Optional<String> value = node.optionalString("value").map(String::trim).filter(s -> !s.isEmpty());
        if (value.isPresent() && attribute.isEmpty()) {
            node.error("value", "needs relay.permission.attribute (the attribute that must hold it)");
        }
        return new RelayPermissionConfig(group, membership, attribute, value);
    }

    static Optional<String> attributeName(ConfigNode node, String key) {
        Optional<String> name = node.optionalString(key).map(String::trim).filter(s -> !s.isEmpty());
        if (name.isPresent() && !DirectoryMapping.validAttributeName(name.get())) {
            node.error(key, "'" + name.get() + "' is not an attribute name");
            return Optional.empty();
        }
        return name;
    }

    static void validDn(ConfigNode node, String key, String dn) {
        try {
            new DN(dn);
        } catch (LDAPException e) {
            node.error(key, "'" + dn + "' is not a DN: " + e.getExceptionMessage());
        }
    }
}
