package io.postern.config;

import com.unboundid.ldap.sdk.Filter;
import com.unboundid.ldap.sdk.LDAPException;
import java.util.List;

/**
 * How Postern's questions map onto a directory's schema: where to search, which entries are
 * users, groups, aliases and domains, and which attributes hold what. Every field has a default
 * per {@link DirectoryProfile}; an empty filter or attribute name switches that feature off.
 * Filters here come from the operator's file and are only ever ANDed with filters built from
 * values by the LDAP SDK: no user input is placed into these strings. Immutable.
 */
public record DirectoryMapping(Bases bases, Filters filters, Attributes attributes) {

    /** Search bases (DNs); each defaults to {@code directory.baseDn}. */
    public record Bases(String users, String groups, String aliases, String domains) {
    }

    /** LDAP filters that select each kind of entry; empty means the kind is not looked up. */
    public record Filters(String user, String group, String alias, String domain) {
    }

    /** Attribute names; empty means the directory does not hold that information. */
    public record Attributes(
            String mail,
            String alternateAddress,
            String alternateAddressPrefix,
            String forwardingAddress,
            String keepCopy,
            String quota,
            String accountStatus,
            String accountControl,
            String spool,
            String allowedSender,
            List<String> member,
            List<String> login,
            String domainName) {
        public Attributes {
            member = List.copyOf(member);
            login = List.copyOf(login);
        }
    }

    static DirectoryMapping from(ConfigNode node, DirectoryProfile profile, String baseDn) {
        boolean ad = profile == DirectoryProfile.ACTIVE_DIRECTORY;
        ConfigNode b = node.section("bases");
        Bases bases = new Bases(b.string("users", baseDn), b.string("groups", baseDn), b.string("aliases", baseDn),
                b.string("domains", baseDn));
        ConfigNode f = node.section("filters");
        Filters filters = new Filters(
                filter(f, "user", ad ? "(&(objectClass=user)(!(objectClass=computer)))" : "(objectClass=inetOrgPerson)"),
                filter(f, "group", ad ? "(objectClass=group)"
                        : "(|(objectClass=groupOfNames)(objectClass=groupOfUniqueNames))"),
                filter(f, "alias", ad ? "" : "(objectClass=posternMailAlias)"),
                filter(f, "domain", ad ? "" : "(objectClass=posternMailDomain)"));
        if (filters.user().isEmpty()) {
            f.error("user", "must not be empty (users are what Postern delivers to)");
        }
        ConfigNode a = node.section("attributes");
        Attributes attributes = new Attributes(
                attribute(a, "mail", "mail"),
                attribute(a, "alternateAddress", ad ? "proxyAddresses" : "posternAlternateAddress"),
                a.string("alternateAddressPrefix", ad ? "smtp:" : ""),
                attribute(a, "forwardingAddress", ad ? "" : "posternForwardingAddress"),
                attribute(a, "keepCopy", ad ? "" : "posternKeepCopy"),
                attribute(a, "quota", ad ? "" : "posternQuotaBytes"),
                attribute(a, "accountStatus", ad ? "" : "posternAccountStatus"),
                attribute(a, "accountControl", ad ? "userAccountControl" : ""),
                attribute(a, "spool", ad ? "" : "posternSpoolLocation"),
                attribute(a, "allowedSender", ad ? "" : "posternAllowedSender"),
                attributes(a, "member", ad ? List.of("member") : List.of("member", "uniqueMember")),
                attributes(a, "login", ad ? List.of("userPrincipalName", "sAMAccountName", "mail")
                        : List.of("uid", "mail")),
                attribute(a, "domainName", ad ? "" : "posternDomainName"));
        if (attributes.mail().isEmpty()) {
            a.error("mail", "must not be empty");
        }
        if (attributes.login().isEmpty()) {
            a.error("login", "needs at least one attribute");
        }
        return new DirectoryMapping(bases, filters, attributes);
    }

    private static String filter(ConfigNode node, String key, String fallback) {
        String text = node.string(key, fallback).trim();
        if (!text.isEmpty()) {
            try {
                Filter.create(text);
            } catch (LDAPException e) {
                node.error(key, "'" + text + "' is not an LDAP filter: " + e.getExceptionMessage());
            }
        }
        return text;
    }

    private static String attribute(ConfigNode node, String key, String fallback) {
        String name = node.string(key, fallback).trim();
        if (!name.isEmpty() && !validAttributeName(name)) {
            node.error(key, "'" + name + "' is not an attribute name");
        }
        return name;
    }

    private static List<String> attributes(ConfigNode node, String key, List<String> fallback) {
        List<String> names = node.strings(key, fallback);
        for (int i = 0; i < names.size(); i++) {
            if (!validAttributeName(names.get(i))) {
                node.problems().add(node.pathOf(key) + "[" + i + "]", "'" + names.get(i) + "' is not an attribute name");
            }
        }
        return names;
    }

    static boolean validAttributeName(String name) {
        return name.matches("[A-Za-z][A-Za-z0-9-]{0,127}|[0-9]+(\\.[0-9]+)+");
    }
}
