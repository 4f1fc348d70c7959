package io.postern.directory.ldap;

import com.unboundid.ldap.sdk.Filter;
import com.unboundid.ldap.sdk.SearchResultEntry;
import io.postern.config.DirectoryMapping;
import io.postern.config.GroupExpansionConfig;
import io.postern.directory.Login;
import io.postern.directory.SenderRights;
import io.postern.directory.SenderRightsQuestion;
import io.postern.observability.LogLine;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads a sender's rights from their own entry and their group memberships: the relay
 * permission (a group, nested membership counting, or an attribute with an optional value) and
 * the per-sender limits their entry sets. Values from the directory are trusted; the group DN and
 * attribute names come from the operator's file and every value reaches a filter through the
 * SDK's builders. A missing entry has no rights; nesting deeper than
 * {@code directory.groups.maxDepth} does not count (closed). Throws
 * {@link DirectoryUnavailable} when a server cannot answer. Thread-safe (stateless).
 */
final class SenderRightsReader {
    private static final Logger LOG = LoggerFactory.getLogger(SenderRightsReader.class);

    private final Searcher searcher;
    private final DirectoryMapping mapping;
    private final GroupExpansionConfig groups;
    private final Optional<Filter> groupFilter;

    SenderRightsReader(Searcher searcher, DirectoryMapping mapping, GroupExpansionConfig groups,
                       Optional<Filter> groupFilter) {
        this.searcher = searcher;
        this.mapping = mapping;
        this.groups = groups;
        this.groupFilter = groupFilter;
    }

    SenderRights read(Login.Identity identity, SenderRightsQuestion question, DirectoryTrace trace)
            throws DirectoryUnavailable {
        if (!question.asksDirectory()) {
            trace.note("relay: no permission configured, every authenticated sender may relay");
            return SenderRights.UNRESTRICTED;
        }
        Set<String> names = new LinkedHashSet<>();
        names.add("objectClass");
        question.attribute().ifPresent(names::add);
        question.recipientsPerMessageAttribute().ifPresent(names::add);
        question.messagesPerHourAttribute().ifPresent(names::add);
        Optional<SearchResultEntry> entry = searcher.read(trace, identity.dn(), Filter.createPresenceFilter("objectClass"),
                names.toArray(new String[0]));
        if (entry.isEmpty()) {
            trace.note("relay: " + identity.dn() + " no longer exists: no rights");
            return new SenderRights(false, OptionalInt.empty(), OptionalInt.empty());
        }
        boolean mayRelay = !question.permissionRequired() || byAttribute(entry.get(), question, trace)
                || question.group().isPresent() && isMember(identity.dn(), question.group().get(), question, trace);
        trace.note("relay: " + identity.dn() + (mayRelay ? " may" : " may not") + " relay to external domains");
        return new SenderRights(mayRelay, limit(entry.get(), question.recipientsPerMessageAttribute()),
                limit(entry.get(), question.messagesPerHourAttribute()));
    }

    private static boolean byAttribute(SearchResultEntry entry, SenderRightsQuestion question, DirectoryTrace trace) {
        if (question.attribute().isEmpty()) {
            return false;
        }
        String[] values = entry.getAttributeValues(question.attribute().get());
        if (values == null || values.length == 0) {
            return false;
        }
        boolean granted = question.value().isEmpty()
                || List.of(values).stream().anyMatch(v -> v.trim().equalsIgnoreCase(question.value().get()));
        trace.note("relay: " + question.attribute().get() + "=" + List.of(values) + (granted ? " grants" : " does not grant")
                + " relaying");
        return granted;
    }

    private boolean isMember(String userDn, String groupDn, SenderRightsQuestion question, DirectoryTrace trace)
            throws DirectoryUnavailable {
        SenderRightsQuestion.Membership how = question.membership();
        if (how == SenderRightsQuestion.Membership.AUTO) {
            how = groups.strategy() == GroupExpansionConfig.Strategy.IN_CHAIN
                    ? SenderRightsQuestion.Membership.IN_CHAIN : SenderRightsQuestion.Membership.WALK;
        }
        return switch (how) {
            case IN_CHAIN -> searcher.read(trace, userDn, Filter.createExtensibleMatchFilter("memberOf",
                    GroupExpander.IN_CHAIN_RULE, false, groupDn), "1.1").isPresent();
            case MEMBER_OF -> searcher.read(trace, userDn, Filter.createEqualityFilter("memberOf", groupDn), "1.1")
                    .isPresent();
            case WALK, AUTO -> walkUp(userDn, groupDn, trace);
        };
    }

    /**
     * Climbs from the user to the groups that list it, then to the groups that list those, up to
     * {@code directory.groups.maxDepth} levels; each group is visited once (loops are cut).
     */
    private boolean walkUp(String userDn, String groupDn, DirectoryTrace trace) throws DirectoryUnavailable {
        String target = GroupExpander.normalize(groupDn);
        Set<String> seen = new HashSet<>();
        List<String> level = List.of(userDn);
        for (int depth = 1; depth <= groups.maxDepth() && !level.isEmpty(); depth++) {
            List<String> next = new ArrayList<>();
            for (int from = 0; from < level.size(); from += groups.batchSize()) {
                List<Filter> any = new ArrayList<>();
                for (String dn : level.subList(from, Math.min(level.size(), from + groups.batchSize()))) {
                    for (String attribute : memberAttributes()) {
                        any.add(Filter.createEqualityFilter(attribute, dn));
                    }
                }
                Filter listed = Filter.createORFilter(any);
                Filter filter = groupFilter.map(g -> Filter.createANDFilter(g, listed)).orElse(listed);
                for (SearchResultEntry group : searcher.paged(trace, mapping.bases().groups(), filter, "1.1")) {
                    String dn = GroupExpander.normalize(group.getDN());
                    if (dn.equals(target)) {
                        trace.note("relay: member of " + groupDn + " at depth " + depth);
                        return true;
                    }
                    if (seen.add(dn)) {
                        next.add(group.getDN());
                    }
                }
            }
            level = next;
        }
        if (!level.isEmpty()) {
            trace.note("relay: not a member of " + groupDn + " within directory.groups.maxDepth (" + groups.maxDepth()
                    + ")");
        }
        return false;
    }

    private List<String> memberAttributes() {
        return mapping.attributes().member().isEmpty() ? List.of("member") : mapping.attributes().member();
    }

    private static OptionalInt limit(SearchResultEntry entry, Optional<String> attribute) {
        if (attribute.isEmpty()) {
            return OptionalInt.empty();
        }
        String value = entry.getAttributeValue(attribute.get());
        if (value == null) {
            return OptionalInt.empty();
        }
        try {
            int parsed = Integer.parseInt(value.trim());
            if (parsed >= 0) {
                return OptionalInt.of(parsed);
            }
        } catch (NumberFormatException e) {
            // Logged below: the configured default applies.
        }
        LogLine.event("sender-limit-invalid").add("dn", entry.getDN()).add("attribute", attribute.get())
                .add("value", value).warn(LOG);
        return OptionalInt.empty();
    }
}
