package io.postern.directory.ldap;

import com.unboundid.ldap.sdk.Filter;
import com.unboundid.ldap.sdk.LDAPConnection;
import com.unboundid.ldap.sdk.LDAPException;
import com.unboundid.ldap.sdk.ResultCode;
import com.unboundid.ldap.sdk.SearchResultEntry;
import io.postern.config.DirectoryMapping;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The periodic reconciliation of change tracking: every {@code cache.reconcileInterval} (start
 * to start), a paged listing of the mail-enabled entries under the base (their DN, addresses and
 * change stamp: uSNChanged on AD, entryCSN elsewhere) compared with the tracker's index. It is
 * what bounds the time to notice what no push mechanism reports to an ordinary account: a
 * deletion on AD without the right to read Deleted Objects, a move out of the searched base.
 * Not thread-safe: used by the tracker's thread only.
 */
final class Reconciliation {
    private static final Logger LOG = LoggerFactory.getLogger(Reconciliation.class);

    private final Duration interval;
    private final Filter filter;
    private final LongSupplier nanoTime;
    private long next;

    Reconciliation(Duration interval, DirectoryMapping mapping, LongSupplier nanoTime) {
        this.interval = interval;
        this.filter = mailEnabledFilter(mapping);
        this.nanoTime = nanoTime;
        this.next = nanoTime.getAsLong() + interval.toNanos();
    }

    /**
     * The entries the index compares: those with an address, a domain name, or matching the group
     * filter. Built from the mapping's attribute names with the SDK's filter factory.
     */
    static Filter mailEnabledFilter(DirectoryMapping mapping) {
        DirectoryMapping.Attributes a = mapping.attributes();
        List<Filter> any = new ArrayList<>();
        for (String name : new String[] {a.mail(), a.alternateAddress(), a.domainName()}) {
            if (!name.isEmpty()) {
                any.add(Filter.createPresenceFilter(name));
            }
        }
        if (!mapping.filters().group().isEmpty()) {
            try {
                any.add(Filter.create(mapping.filters().group()));
            } catch (LDAPException e) {
                // DirectoryMapping validated it already.
            }
        }
        return any.isEmpty() ? Filter.createPresenceFilter("objectClass") : Filter.createORFilter(any);
    }

    boolean enabled() {
        return !interval.isZero();
    }

    Duration interval() {
        return interval;
    }

    /** Lists and compares when the interval has passed since the last one started: how many changes it published. */
    int runIfDue(LDAPConnection connection, ListingSource source) throws LDAPException {
        if (!enabled() || nanoTime.getAsLong() - next < 0) {
            return 0;
        }
        next = nanoTime.getAsLong() + interval.toNanos();
        return run(connection, source);
    }

    /** One reconciliation now: how many changes it published. */
    int run(LDAPConnection connection, ListingSource source) throws LDAPException {
        long start = nanoTime.getAsLong();
        source.index().reconciliationStarted();
        Map<String, EntryIndex.Snapshot> listed = new HashMap<>();
        Searcher searcher = new Searcher(connection, source.pageSize(), source.timeoutMillis(), () -> { });
        try {
            for (SearchResultEntry entry : searcher.paged(DirectoryTrace.off(), source.baseDn(), filter,
                    source.attributes())) {
                listed.put(source.id().apply(entry), source.index().snapshot(entry));
            }
        } catch (DirectoryUnavailable e) {
            source.index().reconciliationAbandoned();
            throw new LDAPException(ResultCode.SERVER_DOWN, e.getMessage());
        }
        int published = source.index().reconciled(listed);
        LOG.debug("event=directory-reconciled entries={} changes={} ms={}", listed.size(), published,
                (nanoTime.getAsLong() - start) / 1_000_000);
        return published;
    }

    /** What a listing needs from the tracker. */
    record ListingSource(EntryIndex index, String baseDn, int pageSize, long timeoutMillis, String[] attributes,
                         Function<SearchResultEntry, String> id) {
    }
}
