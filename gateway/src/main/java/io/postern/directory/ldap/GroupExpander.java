package io.postern.directory.ldap;

import com.unboundid.ldap.sdk.DN;
import com.unboundid.ldap.sdk.Entry;
import com.unboundid.ldap.sdk.Filter;
import com.unboundid.ldap.sdk.SearchResultEntry;
import io.postern.config.DirectoryMapping;
import io.postern.config.GroupExpansionConfig;
import io.postern.mail.MailAddress;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Turns a group entry into the addresses of its members, nested groups included. Either one
 * paged search with AD's in-chain rule, or level by level: loops are cut (each group is expanded
 * once), depth is capped at {@code maxDepth}, members without an address and disabled accounts
 * are skipped. More than {@code maxMembers} members is reported as unavailable rather than
 * delivering to a silently shortened list. Thread-safe (stateless between calls).
 */
final class GroupExpander {
    static final String IN_CHAIN_RULE = "1.2.840.113556.1.4.1941";

    private final Searcher searcher;
    private final EntryReader reader;
    private final DirectoryMapping mapping;
    private final GroupExpansionConfig limits;
    private final Filter groupFilter;
    private final String searchRoot;

    GroupExpander(Searcher searcher, EntryReader reader, DirectoryMapping mapping, GroupExpansionConfig limits,
            Filter groupFilter, String searchRoot) {
        this.searcher = searcher;
        this.reader = reader;
        this.mapping = mapping;
        this.limits = limits;
        this.groupFilter = groupFilter;
        this.searchRoot = searchRoot;
    }

    List<MailAddress> members(Entry group, DirectoryTrace trace) throws DirectoryUnavailable {
        Map<String, MailAddress> members = new LinkedHashMap<>();
        if (limits.strategy() == GroupExpansionConfig.Strategy.IN_CHAIN) {
            inChain(group, members, trace);
        } else {
            Set<String> seen = new HashSet<>();
            seen.add(normalize(group.getDN()));
            walk(group, 1, seen, members, trace);
        }
        if (!mapping.attributes().memberOfGroup().isEmpty()) {
            byMembersClaim(group, members, trace);
        }
        return List.copyOf(members.values());
    }

    /**
     * Members that name the group's address on their own entry ({@code memberOfGroup} on iRedMail)
     * instead of the group listing them: one paged search per address of the group.
     */
    private void byMembersClaim(Entry group, Map<String, MailAddress> members, DirectoryTrace trace)
            throws DirectoryUnavailable {
        String attribute = mapping.attributes().memberOfGroup();
        for (String address : reader.addressKeys(group)) {
            trace.note("expansion: entries with " + attribute + "=" + address);
            Filter claim = Filter.createANDFilter(Filter.createEqualityFilter(attribute, address),
                    Filter.createNOTFilter(groupFilter));
            for (SearchResultEntry entry : searcher.paged(trace, mapping.bases().users(), claim,
                    reader.recipientAttributes())) {
                addLeaf(entry, members, trace);
            }
        }
    }

    private void inChain(Entry group, Map<String, MailAddress> members, DirectoryTrace trace)
            throws DirectoryUnavailable {
        trace.note("expansion: in-chain rule " + IN_CHAIN_RULE + " (nested members in one search)");
        // Every nested member that is not itself a group: users, and also contacts (external
        // addresses in a distribution list); entries without an address are skipped below.
        Filter chain = Filter.createANDFilter(
                Filter.createExtensibleMatchFilter("memberOf", IN_CHAIN_RULE, false, group.getDN()),
                Filter.createNOTFilter(groupFilter));
        List<SearchResultEntry> entries = searcher.paged(trace, mapping.bases().users(), chain, reader.recipientAttributes());
        for (SearchResultEntry entry : entries) {
            addLeaf(entry, members, trace);
        }
    }

    private void walk(Entry group, int depth, Set<String> seen, Map<String, MailAddress> members, DirectoryTrace trace)
            throws DirectoryUnavailable {
        trace.enter();
        try {
            List<String> pending = new ArrayList<>();
            for (String dn : reader.memberDns(group)) {
                if (seen.add(normalize(dn))) {
                    pending.add(dn);
                } else {
                    trace.note(dn + ": already expanded (loop or repeat), skipped");
                }
            }
            Map<String, Entry> fetched = fetch(pending);
            for (String dn : pending) {
                Entry entry = fetched.get(normalize(dn));
                if (entry == null) {
                    trace.note(dn + ": no such entry, skipped");
                    continue;
                }
                if (isGroup(entry)) {
                    if (depth >= limits.maxDepth()) {
                        throw new DirectoryUnavailable("group nesting deeper than directory.groups.maxDepth ("
                                + limits.maxDepth() + ") at " + dn, null);
                    }
                    trace.note("group " + dn + reader.primary(entry).map(a -> " <" + a + ">").orElse(""));
                    walk(entry, depth + 1, seen, members, trace);
                } else {
                    addLeaf(entry, members, trace);
                }
            }
        } finally {
            trace.exit();
        }
    }

    /**
     * The entries of {@code dns}, by normalized DN: {@code batchSize} per search through the DN
     * attribute, then one by one for any the batches missed (an entry outside {@code searchRoot},
     * or a server that cannot match on the attribute).
     */
    private Map<String, Entry> fetch(List<String> dns) throws DirectoryUnavailable {
        Map<String, Entry> out = new HashMap<>();
        String dnAttribute = limits.dnAttribute();
        if (!dnAttribute.isEmpty() && dns.size() > 1) {
            for (int from = 0; from < dns.size(); from += limits.batchSize()) {
                List<Filter> any = new ArrayList<>();
                for (String dn : dns.subList(from, Math.min(dns.size(), from + limits.batchSize()))) {
                    any.add(Filter.createEqualityFilter(dnAttribute, dn));
                }
                for (SearchResultEntry entry : searcher.limited(DirectoryTrace.off(), searchRoot,
                        Filter.createORFilter(any), any.size(), reader.memberAttributes())) {
                    out.put(normalize(entry.getDN()), entry);
                }
            }
        }
        for (String dn : dns) {
            if (!out.containsKey(normalize(dn))) {
                Optional<SearchResultEntry> entry = searcher.read(DirectoryTrace.off(), dn,
                        Filter.createPresenceFilter("objectClass"), reader.memberAttributes());
                entry.ifPresent(e -> out.put(normalize(dn), e));
            }
        }
        return out;
    }

    private void addLeaf(Entry entry, Map<String, MailAddress> members, DirectoryTrace trace)
            throws DirectoryUnavailable {
        Optional<MailAddress> address = reader.primary(entry);
        if (address.isEmpty()) {
            trace.note(entry.getDN() + ": no mail address, skipped");
            return;
        }
        if (reader.disabled(entry)) {
            trace.note(entry.getDN() + " <" + address.get() + ">: disabled, skipped");
            return;
        }
        trace.note("member " + entry.getDN() + " <" + address.get() + ">");
        members.putIfAbsent(address.get().key(), address.get());
        if (members.size() > limits.maxMembers()) {
            throw new DirectoryUnavailable("group has more than directory.groups.maxMembers (" + limits.maxMembers()
                    + ") members", null);
        }
    }

    private boolean isGroup(Entry entry) {
        if (EntryReader.matches(groupFilter, entry)) {
            return true;
        }
        return mapping.attributes().member().stream().anyMatch(entry::hasAttribute);
    }

    static String normalize(String dn) {
        try {
            return new DN(dn).toNormalizedString();
        } catch (com.unboundid.ldap.sdk.LDAPException e) {
            return dn.toLowerCase(Locale.ROOT);
        }
    }
}
