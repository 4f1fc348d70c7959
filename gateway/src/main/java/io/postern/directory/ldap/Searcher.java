package io.postern.directory.ldap;

import com.unboundid.asn1.ASN1OctetString;
import com.unboundid.ldap.sdk.DereferencePolicy;
import com.unboundid.ldap.sdk.Filter;
import com.unboundid.ldap.sdk.LDAPException;
import com.unboundid.ldap.sdk.LDAPInterface;
import com.unboundid.ldap.sdk.LDAPSearchException;
import com.unboundid.ldap.sdk.ResultCode;
import com.unboundid.ldap.sdk.SearchRequest;
import com.unboundid.ldap.sdk.SearchResult;
import com.unboundid.ldap.sdk.SearchResultEntry;
import com.unboundid.ldap.sdk.SearchScope;
import com.unboundid.ldap.sdk.controls.SimplePagedResultsControl;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Searches on the service account's pool. Turns every {@link LDAPException} into
 * {@link DirectoryUnavailable}, records what it sent in a {@link DirectoryTrace}, pages
 * (RFC 2696) the searches that can return many entries, and ignores search references
 * (referrals are not followed unless configured on the connections). Thread-safe.
 */
final class Searcher {
    /** An equality lookup needs one entry; a few more are enough to see that it is ambiguous. */
    static final int LOOKUP_SIZE_LIMIT = 5;

    private final LDAPInterface ldap;
    private final int pageSize;
    private final int timeoutMillis;
    private final Runnable roundTrip;

    /** {@code roundTrip} runs once per request sent (a metrics counter). */
    Searcher(LDAPInterface ldap, int pageSize, long timeoutMillis, Runnable roundTrip) {
        this.ldap = ldap;
        this.roundTrip = roundTrip;
        this.pageSize = pageSize;
        this.timeoutMillis = (int) Math.min(Integer.MAX_VALUE, timeoutMillis);
    }

    /** A lookup by equality: at most {@link #LOOKUP_SIZE_LIMIT} entries (more means ambiguous). */
    List<SearchResultEntry> lookup(DirectoryTrace trace, String base, Filter filter, String... attributes)
            throws DirectoryUnavailable {
        return limited(trace, base, filter, LOOKUP_SIZE_LIMIT, attributes);
    }

    /** At most {@code sizeLimit} entries; when there are more, the first ones. */
    List<SearchResultEntry> limited(DirectoryTrace trace, String base, Filter filter, int sizeLimit, String... attributes)
            throws DirectoryUnavailable {
        SearchRequest request = new SearchRequest(base, SearchScope.SUB, DereferencePolicy.NEVER, sizeLimit,
                0, false, filter, attributes);
        request.setResponseTimeoutMillis(timeoutMillis);
        try {
            SearchResult result = search(request);
            trace.search(base, "sub", filter.toString(), result.getEntryCount());
            return result.getSearchEntries();
        } catch (LDAPSearchException e) {
            if (e.getResultCode() == ResultCode.SIZE_LIMIT_EXCEEDED) {
                trace.search(base, "sub", filter.toString(), e.getEntryCount());
                return e.getSearchEntries();
            }
            trace.note("search base=\"" + base + "\" filter=" + filter + " failed: " + describe(e));
            throw unavailable(e);
        }
    }

    /** Every entry under {@code base} that matches, fetched a page at a time. */
    List<SearchResultEntry> paged(DirectoryTrace trace, String base, Filter filter, String... attributes)
            throws DirectoryUnavailable {
        List<SearchResultEntry> out = new ArrayList<>();
        ASN1OctetString cookie = null;
        int pages = 0;
        try {
            do {
                SearchRequest request = new SearchRequest(base, SearchScope.SUB, filter, attributes);
                request.setResponseTimeoutMillis(timeoutMillis);
                request.setControls(new SimplePagedResultsControl(pageSize, cookie, false));
                SearchResult result = search(request);
                out.addAll(result.getSearchEntries());
                pages++;
                SimplePagedResultsControl response = SimplePagedResultsControl.get(result);
                cookie = response != null && response.moreResultsToReturn() ? response.getCookie() : null;
            } while (cookie != null);
        } catch (LDAPException e) {
            trace.note("paged search base=\"" + base + "\" filter=" + filter + " failed: " + describe(e));
            throw unavailable(e);
        }
        trace.search(base, "sub", filter + " (paged, " + pages + (pages == 1 ? " page)" : " pages)"), out.size());
        return out;
    }

    /** One entry by DN; empty when it does not exist or does not match {@code filter}. */
    Optional<SearchResultEntry> read(DirectoryTrace trace, String dn, Filter filter, String... attributes)
            throws DirectoryUnavailable {
        SearchRequest request = new SearchRequest(dn, SearchScope.BASE, DereferencePolicy.NEVER, 1, 0, false, filter,
                attributes);
        request.setResponseTimeoutMillis(timeoutMillis);
        try {
            SearchResult result = search(request);
            trace.search(dn, "base", filter.toString(), result.getEntryCount());
            return result.getSearchEntries().stream().findFirst();
        } catch (LDAPSearchException e) {
            if (e.getResultCode() == ResultCode.NO_SUCH_OBJECT || e.getResultCode() == ResultCode.REFERRAL
                    || e.getResultCode() == ResultCode.INVALID_DN_SYNTAX) {
                // A member DN that names nothing (deleted user, other partition) is not an outage.
                trace.search(dn, "base", filter.toString(), 0);
                return Optional.empty();
            }
            trace.note("read \"" + dn + "\" failed: " + describe(e));
            throw unavailable(e);
        }
    }

    /** The root DSE, read with a short timeout: the readiness probe. */
    void probe(int millis) throws DirectoryUnavailable {
        SearchRequest request = new SearchRequest("", SearchScope.BASE, Filter.createPresenceFilter("objectClass"),
                "namingContexts");
        request.setResponseTimeoutMillis(millis);
        try {
            search(request);
        } catch (LDAPSearchException e) {
            throw unavailable(e);
        }
    }

    private SearchResult search(SearchRequest request) throws LDAPSearchException {
        roundTrip.run();
        try {
            return ldap.search(request);
        } catch (RuntimeException e) {
            // The SDK reports some local failures (a pool that is closed, an encoding problem of a
            // value) as runtime exceptions; callers must still see "unavailable", never a crash.
            throw new LDAPSearchException(ResultCode.LOCAL_ERROR, String.valueOf(e.getMessage()), e);
        }
    }

    static DirectoryUnavailable unavailable(LDAPException e) {
        return new DirectoryUnavailable("directory: " + describe(e), e);
    }

    static String describe(LDAPException e) {
        String message = e.getDiagnosticMessage() != null ? e.getDiagnosticMessage() : e.getMessage();
        return e.getResultCode().getName() + " (" + e.getResultCode().intValue() + ")"
                + (message == null || message.isEmpty() ? "" : ": " + message.replace('\n', ' '));
    }
}
