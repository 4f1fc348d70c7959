package io.postern.config;

import com.unboundid.ldap.sdk.Filter;
import com.unboundid.ldap.sdk.LDAPException;
import java.util.List;
import java.util.Optional;

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
            String domainName,
            String aliasAddress,
            String aliasTarget,
            String memberOfGroup,
            String homeServer) {
        public Attributes {
            member = List.copyOf(member);
            login = List.copyOf(login);
        }
    }

    static DirectoryMapping from(ConfigNode node, DirectoryProfile profile, String baseDn) {
        Defaults d = Defaults.of(profile);
        ConfigNode b = node.section("bases");
        Bases bases = new Bases(b.string("users", baseDn), b.string("groups", baseDn), b.string("aliases", baseDn),
                b.string("domains", baseDn));
        ConfigNode f = node.section("filters");
        Filters filters = new Filters(filter(f, "user", d.user()), filter(f, "group", d.group()),
                filter(f, "alias", d.alias()), filter(f, "domain", d.domain()));
        if (filters.user().isEmpty()) {
            f.error("user", "must not be empty (users are what Postern delivers to)");
        }
        ConfigNode a = node.section("attributes");
        String mail = attribute(a, "mail", "mail");
        String forwarding = attribute(a, "forwardingAddress", d.forwardingAddress());
        Attributes attributes = new Attributes(
                mail,
                attribute(a, "alternateAddress", d.alternateAddress()),
                a.string("alternateAddressPrefix", d.alternateAddressPrefix()),
                forwarding,
                attribute(a, "keepCopy", d.keepCopy()),
                attribute(a, "quota", d.quota()),
                attribute(a, "accountStatus", d.accountStatus()),
                attribute(a, "accountControl", d.accountControl()),
                attribute(a, "spool", d.spool()),
                attribute(a, "allowedSender", d.allowedSender()),
                attributes(a, "member", d.member()),
                attributes(a, "login", d.login()),
                attribute(a, "domainName", d.domainName()),
                attribute(a, "aliasAddress", d.aliasAddress().orElse(mail)),
                attribute(a, "aliasTarget", d.aliasTarget().orElse(forwarding)),
                attribute(a, "memberOfGroup", d.memberOfGroup()),
                attribute(a, "homeServer", d.homeServer()));
        if (attributes.mail().isEmpty()) {
            a.error("mail", "must not be empty");
        }
        if (attributes.login().isEmpty()) {
            a.error("login", "needs at least one attribute");
        }
        return new DirectoryMapping(bases, filters, attributes);
    }

    /**
     * Each profile's defaults in one place. {@code aliasAddress} and {@code aliasTarget} default to
     * the profile's {@code mail} and {@code forwardingAddress} when the profile has no own value.
     */
    private record Defaults(String user, String group, String alias, String domain, String alternateAddress,
                            String alternateAddressPrefix, String forwardingAddress, String keepCopy, String quota,
                            String accountStatus, String accountControl, String spool, String allowedSender,
                            List<String> member, List<String> login, String domainName,
                            Optional<String> aliasAddress, Optional<String> aliasTarget,
                            String memberOfGroup, String homeServer) {
        static Defaults of(DirectoryProfile profile) {
            Optional<String> same = Optional.empty();
            return switch (profile) {
                case OPENLDAP -> new Defaults("(objectClass=inetOrgPerson)",
                        "(|(objectClass=groupOfNames)(objectClass=groupOfUniqueNames))",
                        "(objectClass=posternMailAlias)", "(objectClass=posternMailDomain)",
                        "posternAlternateAddress", "", "posternForwardingAddress", "posternKeepCopy",
                        "posternQuotaBytes", "posternAccountStatus", "", "posternSpoolLocation", "posternAllowedSender",
                        List.of("member", "uniqueMember"), List.of("uid", "mail"), "posternDomainName", same, same, "",
                        "");
                case ACTIVE_DIRECTORY -> new Defaults("(&(objectClass=user)(!(objectClass=computer)))",
                        "(objectClass=group)", "", "", "proxyAddresses", "smtp:", "", "", "", "", "userAccountControl",
                        "", "", List.of("member"), List.of("userPrincipalName", "sAMAccountName", "mail"), "", same,
                        same, "", "");
                // misc.schema: mailLocalAddress lists every address of an entry, mailRoutingAddress
                // sends its mail elsewhere, mailHost names the server that holds the mailbox; a nisMailAlias names its address in cn (or mailLocalAddress).
                case INET_LOCAL_MAIL -> new Defaults("(objectClass=inetLocalMailRecipient)",
                        "(|(objectClass=groupOfNames)(objectClass=groupOfUniqueNames))", "(objectClass=nisMailAlias)",
                        "", "mailLocalAddress", "", "mailRoutingAddress", "", "", "", "", "", "",
                        List.of("member", "uniqueMember"), List.of("uid", "mail"), "",
                        Optional.of("cn"), Optional.of("rfc822MailMember"), "", "mailHost");
                // iRedMail keeps a copy when mailForwardingAddress also lists the user's own address,
                // and lists a mailList's members on the members (memberOfGroup).
                case IREDMAIL -> new Defaults("(objectClass=mailUser)", "(objectClass=mailList)",
                        "(objectClass=mailAlias)", "(objectClass=mailDomain)", "shadowAddress", "",
                        "mailForwardingAddress", "", "mailQuota", "accountStatus", "", "", "",
                        List.of(), List.of("mail"), "domainName", same, same, "memberOfGroup", "");
            };
        }
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
