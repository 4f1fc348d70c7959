package io.postern.directory.ldap;

import com.unboundid.ldap.sdk.Entry;
import com.unboundid.ldap.sdk.Filter;
import com.unboundid.ldap.sdk.LDAPException;
import io.postern.config.DirectoryMapping;
import io.postern.directory.DirectoryChange;
import io.postern.directory.DirectoryChangeListener;
import io.postern.mail.MailAddress;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * What change tracking knows of each directory entry (its DN, addresses, domains, whether it is a
 * group, and a version such as entryCSN or uSNChanged), keyed by a stable id (entryUUID,
 * objectGUID). It turns a changed entry into a {@link DirectoryChange} with the entry's old
 * addresses as well as the new ones, which no change protocol sends by itself, and turns a full
 * listing after a gap into exactly the changes that were missed. Thread-safe (synchronized): the
 * tracker's thread and a listing may feed it at once.
 */
final class EntryIndex {
    /** One entry as the cache cares about it. */
    record Snapshot(String dn, Set<MailAddress> addresses, Set<String> domains, boolean group, String version) {
        Snapshot {
            dn = DirectoryChange.normalizeDn(dn);
            addresses = Set.copyOf(addresses);
            domains = Set.copyOf(domains);
            Objects.requireNonNull(version);
        }

        /** Whether the entry is one the reconciliation listing returns: it has an address or a domain, or is a group. */
        boolean mailEnabled() {
            return !addresses.isEmpty() || !domains.isEmpty() || group;
        }
    }

    private final DirectoryMapping.Attributes attributes;
    private final Optional<Filter> groupFilter;
    private final List<String> versionAttributes;
    private final DirectoryChangeListener listener;
    private Map<String, Snapshot> entries = new HashMap<>();
    private boolean listed;
    /** Ids that push tracking reported while a reconciliation listing ran: the push is newer. */
    private Set<String> touchedDuringListing;

    EntryIndex(DirectoryMapping mapping, List<String> versionAttributes, DirectoryChangeListener listener) {
        this.attributes = mapping.attributes();
        this.versionAttributes = List.copyOf(versionAttributes);
        this.listener = listener;
        Filter group = null;
        try {
            group = mapping.filters().group().isEmpty() ? null : Filter.create(mapping.filters().group());
        } catch (LDAPException e) {
            // DirectoryMapping validated it already.
        }
        this.groupFilter = Optional.ofNullable(group);
    }

    /** The attributes a snapshot is read from (plus the id attribute of the tracker). */
    Set<String> attributesToRead() {
        Set<String> names = new LinkedHashSet<>();
        names.add("objectClass");
        names.addAll(versionAttributes);
        for (String name : new String[] {attributes.mail(), attributes.alternateAddress(), attributes.domainName(),
                attributes.aliasAddress(), attributes.memberOfGroup()}) {
            if (!name.isEmpty()) {
                names.add(name);
            }
        }
        return names;
    }

    Snapshot snapshot(Entry entry) {
        Set<MailAddress> addresses = new HashSet<>();
        addAddresses(entry, attributes.mail(), "", addresses);
        addAddresses(entry, attributes.alternateAddress(), attributes.alternateAddressPrefix(), addresses);
        addAddresses(entry, attributes.aliasAddress(), "", addresses);
        // A member that names its list: joining or leaving changes the list's answer.
        addAddresses(entry, attributes.memberOfGroup(), "", addresses);
        Set<String> domains = new HashSet<>();
        if (!attributes.domainName().isEmpty() && entry.getAttributeValues(attributes.domainName()) != null) {
            for (String d : entry.getAttributeValues(attributes.domainName())) {
                domains.add(d.toLowerCase(Locale.ROOT));
            }
        }
        boolean group = false;
        try {
            group = groupFilter.isPresent() && groupFilter.get().matchesEntry(entry);
        } catch (LDAPException e) {
            // A filter the SDK cannot evaluate locally: treat the entry as a group, which only costs evictions.
            group = true;
        }
        String version = versionAttributes.stream().map(entry::getAttributeValue).filter(Objects::nonNull)
                .findFirst().orElse("");
        return new Snapshot(entry.getDN(), addresses, domains, group, version);
    }

    private static void addAddresses(Entry entry, String attribute, String prefix, Set<MailAddress> out) {
        if (attribute.isEmpty() || entry.getAttributeValues(attribute) == null) {
            return;
        }
        for (String value : entry.getAttributeValues(attribute)) {
            String text = value;
            if (!prefix.isEmpty()) {
                if (!value.regionMatches(true, 0, prefix, 0, prefix.length())) {
                    continue;
                }
                text = value.substring(prefix.length());
            }
            MailAddress.parse(text.trim()).ifPresent(out::add);
        }
    }

    /** One entry was added or modified (or renamed: same id, other DN). */
    synchronized void changed(String id, Snapshot now, boolean added) {
        touched(id);
        Snapshot before = entries.put(id, now);
        if (before != null && before.equals(now) && !now.version().isEmpty()) {
            return;
        }
        publish(id, before, now, added);
    }

    /** One entry was deleted; an id never seen means the index cannot say which addresses it had. */
    synchronized void deleted(String id, Optional<String> dn) {
        touched(id);
        Snapshot before = entries.remove(id);
        if (before != null) {
            listener.changed(new DirectoryChange(DirectoryChange.Kind.DELETE, before.dn(), before.dn(),
                    before.addresses(), Set.of(), before.domains(), before.group()));
        } else if (dn.isPresent()) {
            listener.changed(new DirectoryChange(DirectoryChange.Kind.DELETE, dn.get(), dn.get(), Set.of(), Set.of(),
                    Set.of(), true));
        } else {
            listener.resynchronise();
        }
    }

    /**
     * A complete listing of the directory: the first one only fills the index (and drops the
     * cache, which may hold answers from before tracking started); a later one, after a gap,
     * publishes exactly what differs.
     */
    synchronized void listed(Map<String, Snapshot> all) {
        if (!listed) {
            entries = new HashMap<>(all);
            listed = true;
            listener.resynchronise();
            return;
        }
        Map<String, Snapshot> before = entries;
        entries = new HashMap<>(all);
        for (Map.Entry<String, Snapshot> e : all.entrySet()) {
            Snapshot old = before.remove(e.getKey());
            if (old == null || !old.equals(e.getValue()) || e.getValue().version().isEmpty()) {
                publish(e.getKey(), old, e.getValue(), old == null);
            }
        }
        for (Snapshot gone : before.values()) {
            listener.changed(new DirectoryChange(DirectoryChange.Kind.DELETE, gone.dn(), gone.dn(), gone.addresses(),
                    Set.of(), gone.domains(), gone.group()));
        }
    }

    /** Whether the index holds {@code id} (an entry change tracking saw before). */
    synchronized boolean knows(String id) {
        return entries.containsKey(id);
    }

    /**
     * A tombstone from the deleted-objects container: published when the index knew the entry,
     * ignored otherwise (a deleted computer or contact without mail is none of the cache's business).
     */
    synchronized void tombstone(String id) {
        if (entries.containsKey(id)) {
            deleted(id, Optional.empty());
        }
    }

    /** A reconciliation listing starts: what push tracking reports from now on wins over the listing. */
    synchronized void reconciliationStarted() {
        touchedDuringListing = new HashSet<>();
    }

    /**
     * A reconciliation listing of the mail-enabled entries ended (see {@link Snapshot#mailEnabled()}):
     * publishes the entries that changed (by version), were renamed, appeared, and those the index
     * holds as mail-enabled that the listing no longer returns (deleted, moved out of the base, or
     * without an address now) as deletions. Entries push tracking reported while the listing ran
     * are left as push reported them; entries that are not mail-enabled are not compared.
     */
    synchronized int reconciled(Map<String, Snapshot> mailEnabled) {
        Set<String> skip = touchedDuringListing == null ? Set.of() : touchedDuringListing;
        touchedDuringListing = null;
        int published = 0;
        for (Map.Entry<String, Snapshot> e : mailEnabled.entrySet()) {
            if (skip.contains(e.getKey())) {
                continue;
            }
            Snapshot old = entries.put(e.getKey(), e.getValue());
            if (old == null || !old.equals(e.getValue()) || e.getValue().version().isEmpty()) {
                publish(e.getKey(), old, e.getValue(), old == null);
                published++;
            }
        }
        List<String> gone = entries.entrySet().stream()
                .filter(e -> e.getValue().mailEnabled() && !mailEnabled.containsKey(e.getKey()) && !skip.contains(e.getKey()))
                .map(Map.Entry::getKey).toList();
        for (String id : gone) {
            Snapshot before = entries.remove(id);
            listener.changed(new DirectoryChange(DirectoryChange.Kind.DELETE, before.dn(), before.dn(), before.addresses(),
                    Set.of(), before.domains(), before.group()));
            published++;
        }
        return published;
    }

    /** A reconciliation listing failed half-way: nothing is compared. */
    synchronized void reconciliationAbandoned() {
        touchedDuringListing = null;
    }

    private void touched(String id) {
        if (touchedDuringListing != null) {
            touchedDuringListing.add(id);
        }
    }

    synchronized boolean hasListing() {
        return listed;
    }

    synchronized int size() {
        return entries.size();
    }

    private void publish(String id, Snapshot before, Snapshot now, boolean added) {
        DirectoryChange.Kind kind;
        if (before == null) {
            kind = added ? DirectoryChange.Kind.ADD : DirectoryChange.Kind.MODIFY;
        } else if (!before.dn().equals(now.dn())) {
            kind = DirectoryChange.Kind.RENAME;
        } else {
            kind = DirectoryChange.Kind.MODIFY;
        }
        Set<String> domains = new HashSet<>(now.domains());
        if (before != null) {
            domains.addAll(before.domains());
        }
        listener.changed(new DirectoryChange(kind, now.dn(), before == null ? now.dn() : before.dn(),
                before == null ? Set.of() : before.addresses(), now.addresses(), domains,
                now.group() || before != null && before.group()));
    }
}
