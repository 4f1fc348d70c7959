package io.postern.directory.ldap;

import com.unboundid.asn1.ASN1OctetString;
import com.unboundid.ldap.sdk.AsyncRequestID;
import com.unboundid.ldap.sdk.AsyncSearchResultListener;
import com.unboundid.ldap.sdk.Control;
import com.unboundid.ldap.sdk.DereferencePolicy;
import com.unboundid.ldap.sdk.Filter;
import com.unboundid.ldap.sdk.IntermediateResponse;
import com.unboundid.ldap.sdk.IntermediateResponseListener;
import com.unboundid.ldap.sdk.LDAPConnection;
import com.unboundid.ldap.sdk.LDAPConnectionPool;
import com.unboundid.ldap.sdk.LDAPException;
import com.unboundid.ldap.sdk.LDAPSearchException;
import com.unboundid.ldap.sdk.ResultCode;
import com.unboundid.ldap.sdk.RootDSE;
import com.unboundid.ldap.sdk.SearchRequest;
import com.unboundid.ldap.sdk.SearchResult;
import com.unboundid.ldap.sdk.SearchResultEntry;
import com.unboundid.ldap.sdk.SearchResultReference;
import com.unboundid.ldap.sdk.SearchScope;
import com.unboundid.ldap.sdk.controls.ContentSyncInfoIntermediateResponse;
import com.unboundid.ldap.sdk.controls.ContentSyncRequestControl;
import com.unboundid.ldap.sdk.controls.ContentSyncRequestMode;
import com.unboundid.ldap.sdk.controls.ContentSyncState;
import com.unboundid.ldap.sdk.controls.ContentSyncStateControl;
import com.unboundid.ldap.sdk.experimental.ActiveDirectoryDirSyncControl;
import io.postern.config.CacheConfig;
import io.postern.config.ChangeTracking;
import io.postern.config.DirectoryConfig;
import io.postern.config.DirectoryProfile;
import io.postern.directory.DirectoryChange;
import io.postern.directory.DirectoryChangeListener;
import io.postern.net.Threads;
import io.postern.observability.LogLine;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Change tracking: keeps one connection to the directory and turns what the server offers into
 * {@link io.postern.directory.DirectoryChange} events for the cache. Chosen from the rootDSE
 * ({@code cache.changeTracking: auto}): RFC 4533 content sync refreshAndPersist (OpenLDAP
 * syncprov), Active Directory change notification (1.2.840.113556.1.4.528), else polling
 * (uSNChanged against highestCommittedUSN on AD, a listing elsewhere) every
 * {@code cache.pollInterval}; AD DirSync (1.2.840.113556.1.4.841) when configured, polled with
 * its cookie at the same interval. Reconnects with exponential backoff up to
 * {@code cache.reconnectMaxBackoff}; after a gap, a full listing is compared with what was known
 * so that exactly the missed changes are published. Alongside every mechanism a
 * {@link Reconciliation} lists the mail-enabled entries every {@code cache.reconcileInterval}:
 * AD tells an ordinary account of no deletion and no move out of the base, so that listing is
 * the bound for those, unless the account may read CN=Deleted Objects (probed at each session
 * start, {@link #deletions()}), when tombstones are followed too. Runs on its own daemon thread; thread-safe;
 * {@link #close()} stops it.
 */
public final class ChangeTracker implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(ChangeTracker.class);
    static final String CONTENT_SYNC_OID = "1.3.6.1.4.1.4203.1.9.1.1";
    static final String AD_DIRSYNC_OID = "1.2.840.113556.1.4.841";
    static final String AD_NOTIFICATION_OID = "1.2.840.113556.1.4.528";
    static final String AD_SHOW_DELETED_OID = "1.2.840.113556.1.4.417";
    private static final Duration FIRST_BACKOFF = Duration.ofMillis(250);
    /** How often a persistent search's end is checked for, and so how late a due reconciliation may start. */
    private static final long WAKE_MILLIS = 500;

    private final DirectoryConfig config;
    private final CacheConfig cache;
    private final DirectoryChangeListener listener;
    private final LdapConnections connections;
    private final boolean activeDirectory;
    private final EntryIndex index;
    private final Thread thread;
    private volatile boolean closed;
    private volatile ChangeTracking mode = ChangeTracking.OFF;
    private volatile LDAPConnection current;
    /** Set when the server refused a push mechanism it advertised: poll from then on. */
    private volatile boolean pushRefused;
    private final AtomicInteger sessions = new AtomicInteger();
    private volatile Deletions deletions = Deletions.LISTING;
    private Reconciliation reconciliation;
    /** Probes for the right to read tombstones again (AD notification sessions without it); else nothing. */
    private Runnable reprobe = () -> { };

    private ChangeTracker(DirectoryConfig config, List<java.net.URI> urls, CacheConfig cache,
                          DirectoryChangeListener listener) throws IOException {
        this.config = config;
        this.cache = cache;
        this.listener = listener;
        this.activeDirectory = config.profile() == DirectoryProfile.ACTIVE_DIRECTORY;
        this.connections = LdapConnections.open(config, urls);
        this.index = new EntryIndex(config.mapping(), activeDirectory ? List.of("uSNChanged") : List.of("entryCSN", "modifyTimestamp"), listener);
        this.thread = Threads.daemon("postern-directory-changes", this::run);
    }

    /** Starts tracking the directory {@code directory} talks to, publishing to {@code listener}. */
    public static ChangeTracker start(LdapDirectory directory, CacheConfig cache, DirectoryChangeListener listener)
            throws IOException {
        return start(directory.config(), directory.servers(), cache, listener);
    }

    public static ChangeTracker start(DirectoryConfig config, List<java.net.URI> urls, CacheConfig cache,
                                      DirectoryChangeListener listener) throws IOException {
        ChangeTracker tracker = new ChangeTracker(config, urls, cache, listener);
        tracker.thread.start();
        return tracker;
    }

    /** How many tracking sessions (connections) were started: one, unless the connection was lost. */
    public int sessions() {
        return sessions.get();
    }

    /** How deletions are noticed in the current session (see {@link Deletions}). */
    public Deletions deletions() {
        return deletions;
    }

    /**
     * How this session notices a deletion: {@link #PUSHED} by the change mechanism itself
     * (syncrepl; AD change notification with tombstones the account may read), else
     * {@link #LISTING} by the periodic reconciliation only ({@code cache.reconcileInterval}).
     */
    public enum Deletions { PUSHED, LISTING }

    /** The mechanism in use (OFF until connected). */
    public ChangeTracking mode() {
        return mode;
    }

    private void run() {
        Duration backoff = FIRST_BACKOFF;
        while (!closed) {
            LDAPConnection connection = null;
            LDAPConnectionPool pool = connections.search();
            try {
                connection = pool.getConnection();
                current = connection;
                sessions.incrementAndGet();
                listener.reachability(true, "ok");
                ChangeTracking chosen = choose(cache.changeTracking(), pushRefused, connection.getRootDSE());
                mode = chosen;
                LOG.info("event=directory-tracking mode={} server={}:{}", ConfigName.of(chosen),
                        connection.getConnectedAddress(), connection.getConnectedPort());
                backoff = FIRST_BACKOFF;
                reconciliation = new Reconciliation(cache.reconcileInterval(), config.mapping(), System::nanoTime);
                deletions = chosen == ChangeTracking.SYNCREPL ? Deletions.PUSHED : Deletions.LISTING;
                reprobe = () -> { };
                switch (chosen) {
                    case SYNCREPL -> syncrepl(connection);
                    case NOTIFICATION -> notification(connection);
                    case DIRSYNC -> dirsync(connection);
                    case POLL -> poll(connection);
                    case OFF, AUTO -> probe(connection);
                }
            } catch (LDAPException e) {
                if (closed) {
                    break;
                }
                LogLine.event("directory-tracking-lost").add("mode", ConfigName.of(mode))
                        .add("reason", Searcher.describe(e)).add("retry_in_ms", backoff.toMillis()).warn(LOG);
                ResultCode code = e.getResultCode();
                if (code == ResultCode.UNAVAILABLE_CRITICAL_EXTENSION || code == ResultCode.UNWILLING_TO_PERFORM
                        || code == ResultCode.INSUFFICIENT_ACCESS_RIGHTS || code == ResultCode.PROTOCOL_ERROR) {
                    // The server refused the mechanism (no syncprov on this database, no right for
                    // DirSync): a listing and polling still work.
                    pushRefused = mode == ChangeTracking.SYNCREPL || mode == ChangeTracking.NOTIFICATION
                            || mode == ChangeTracking.DIRSYNC;
                }
                reachability(pool);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            } catch (RuntimeException e) {
                LogLine.event("directory-tracking-failed").add("reason", e.toString()).cause(e).error(LOG);
            } finally {
                current = null;
                if (connection != null) {
                    pool.releaseDefunctConnection(connection);
                }
            }
            try {
                Thread.sleep(backoff.toMillis());
            } catch (InterruptedException e) {
                break;
            }
            backoff = backoff.multipliedBy(2);
            if (backoff.compareTo(cache.reconnectMaxBackoff()) > 0) {
                backoff = cache.reconnectMaxBackoff();
            }
        }
    }

    /** After losing the tracking connection: down only if no server at all answers. */
    private void reachability(LDAPConnectionPool pool) {
        try {
            LDAPConnection probe = pool.getConnection();
            pool.releaseConnection(probe);
            listener.reachability(true, "ok");
        } catch (LDAPException e) {
            listener.reachability(false, Searcher.describe(e));
        }
    }

    /** The mechanism to use: the configured one, or for {@code auto} the best {@code root} offers. */
    static ChangeTracking choose(ChangeTracking wanted, boolean pushRefused, RootDSE root) {
        if (pushRefused && wanted != ChangeTracking.OFF) {
            return ChangeTracking.POLL;
        }
        if (wanted != ChangeTracking.AUTO) {
            return wanted;
        }
        if (root == null) {
            return ChangeTracking.POLL;
        }
        if (root.supportsControl(CONTENT_SYNC_OID)) {
            return ChangeTracking.SYNCREPL;
        }
        // Notification pushes; DirSync would have to be polled (and needs a replication right).
        if (root.supportsControl(AD_NOTIFICATION_OID)) {
            return ChangeTracking.NOTIFICATION;
        }
        return ChangeTracking.POLL;
    }

    private String[] attributes(String idAttribute) {
        List<String> names = new ArrayList<>(index.attributesToRead());
        names.add(idAttribute);
        return names.toArray(new String[0]);
    }

    private String idAttribute() {
        return activeDirectory ? "objectGUID" : "entryUUID";
    }

    private String id(SearchResultEntry entry) {
        if (activeDirectory) {
            byte[] guid = entry.getAttributeValueBytes("objectGUID");
            return guid == null ? "dn:" + entry.getDN().toLowerCase(Locale.ROOT) : HexFormat.of().formatHex(guid);
        }
        String uuid = entry.getAttributeValue("entryUUID");
        return uuid == null ? "dn:" + entry.getDN().toLowerCase(Locale.ROOT) : uuid.toLowerCase(Locale.ROOT);
    }

    // ---- RFC 4533 content synchronisation, refreshAndPersist ----

    private void syncrepl(LDAPConnection connection) throws LDAPException, InterruptedException {
        Map<String, EntryIndex.Snapshot> refresh = new HashMap<>();
        CompletableFuture<SearchResult> ended = new CompletableFuture<>();
        final boolean[] persisting = {false};
        AsyncSearchResultListener results = new AsyncSearchResultListener() {
            @Override
            public void searchEntryReturned(SearchResultEntry entry) {
                ContentSyncStateControl state;
                try {
                    state = ContentSyncStateControl.get(entry);
                } catch (LDAPException e) {
                    return;
                }
                if (state == null) {
                    return;
                }
                String id = state.getEntryUUID().toString().toLowerCase(Locale.ROOT);
                synchronized (refresh) {
                    if (!persisting[0]) {
                        if (state.getState() != ContentSyncState.DELETE) {
                            refresh.put(id, index.snapshot(entry));
                        }
                        return;
                    }
                }
                switch (state.getState()) {
                    case ADD -> index.changed(id, index.snapshot(entry), true);
                    case MODIFY, PRESENT -> index.changed(id, index.snapshot(entry), false);
                    case DELETE -> index.deleted(id, Optional.of(entry.getDN()));
                }
            }

            @Override
            public void searchReferenceReturned(SearchResultReference reference) {
            }

            @Override
            public void searchResultReceived(AsyncRequestID requestID, SearchResult result) {
                ended.complete(result);
            }
        };
        IntermediateResponseListener info = (IntermediateResponse response) -> {
            ContentSyncInfoIntermediateResponse sync;
            try {
                sync = ContentSyncInfoIntermediateResponse.decode(response);
            } catch (LDAPException e) {
                return;
            }
            if (sync.refreshDone() || sync.getType() == com.unboundid.ldap.sdk.controls.ContentSyncInfoType.NEW_COOKIE) {
                synchronized (refresh) {
                    if (!persisting[0] && sync.refreshDone()) {
                        persisting[0] = true;
                        index.listed(refresh);
                        LOG.info("event=directory-tracking-ready mode=syncrepl entries={}", refresh.size());
                        logDeletions();
                    }
                }
            }
        };
        SearchRequest request = new SearchRequest(results, config.baseDn(), SearchScope.SUB,
                Filter.createPresenceFilter("objectClass"), attributes("entryUUID"));
        request.setIntermediateResponseListener(info);
        request.setResponseTimeoutMillis(0); // a persistent search never "times out": it ends when the connection does
        // No cookie: every (re)connection starts with a full refresh, which the index compares
        // with what it knew, so a gap publishes exactly the changes that were missed.
        request.addControl(new ContentSyncRequestControl(true, ContentSyncRequestMode.REFRESH_AND_PERSIST,
                (ASN1OctetString) null, false));
        connection.asyncSearch(request);
        awaitEnd(connection, ended);
    }

    // ---- Active Directory change notification ----

    private void notification(LDAPConnection connection) throws LDAPException, InterruptedException {
        CompletableFuture<SearchResult> ended = new CompletableFuture<>();
        AsyncSearchResultListener results = new AsyncSearchResultListener() {
            @Override
            public void searchEntryReturned(SearchResultEntry entry) {
                String id = id(entry);
                if ("TRUE".equalsIgnoreCase(entry.getAttributeValue("isDeleted"))) {
                    index.tombstone(id);
                } else {
                    // AD notifies an add like any change: an id the index never saw is a new entry.
                    index.changed(id, index.snapshot(entry), !index.knows(id));
                }
            }

            @Override
            public void searchReferenceReturned(SearchResultReference reference) {
            }

            @Override
            public void searchResultReceived(AsyncRequestID requestID, SearchResult result) {
                ended.complete(result);
            }
        };
        List<String> names = new ArrayList<>(List.of(attributes(idAttribute())));
        names.add("isDeleted");
        SearchRequest request = new SearchRequest(results, config.baseDn(), SearchScope.SUB,
                Filter.createPresenceFilter("objectClass"), names.toArray(new String[0]));
        request.setResponseTimeoutMillis(0); // a persistent search never "times out": it ends when the connection does
        request.addControl(new Control(AD_NOTIFICATION_OID, true));
        request.addControl(new Control(AD_SHOW_DELETED_OID, false));
        connection.asyncSearch(request);
        followTombstones(connection, results);
        // A domain with no tombstone yet proves nothing: once the reconciliation has seen
        // something go, a tombstone exists and the probe can tell.
        reprobe = () -> {
            try {
                if (followTombstones(connection, results)) {
                    logDeletions();
                }
            } catch (LDAPException e) {
                LogLine.event("directory-deletions-probe-failed").add("reason", Searcher.describe(e)).warn(LOG);
            }
        };
        // Listed after the notification searches are registered, so nothing falls between them.
        fullListing(connection);
        LOG.info("event=directory-tracking-ready mode=notification entries={}", index.size());
        logDeletions();
        awaitEnd(connection, ended);
    }

    /**
     * Starts following the Deleted Objects container with a second notification search when this
     * account may read tombstones: deleted objects move there, outside a base below the root.
     */
    private boolean followTombstones(LDAPConnection connection, AsyncSearchResultListener results) throws LDAPException {
        Optional<String> tombstones = deletedObjects(connection);
        if (tombstones.isEmpty()) {
            return false;
        }
        SearchRequest deleted = new SearchRequest(results, tombstones.get(), SearchScope.ONE,
                Filter.createPresenceFilter("objectClass"), "objectGUID", "isDeleted");
        deleted.setResponseTimeoutMillis(0);
        deleted.addControl(new Control(AD_NOTIFICATION_OID, true));
        deleted.addControl(new Control(AD_SHOW_DELETED_OID, true));
        connection.asyncSearch(deleted);
        deletions = Deletions.PUSHED;
        return true;
    }

    /**
     * The Deleted Objects container of the naming context holding the base, when this account may
     * list its tombstones (AD sends deleted objects only to accounts that may): one tombstone,
     * read with the show-deleted control, proves it. Empty when none is visible, which is also
     * what a domain where nothing was deleted within the tombstone lifetime looks like: the
     * session runs on the reconciliation until one of its listings finds a change, then probes again.
     */
    private Optional<String> deletedObjects(LDAPConnection connection) {
        try {
            RootDSE root = connection.getRootDSE();
            String base = DirectoryChange.normalizeDn(config.baseDn());
            String context = null;
            for (String nc : root == null || root.getNamingContextDNs() == null ? new String[0] : root.getNamingContextDNs()) {
                String n = DirectoryChange.normalizeDn(nc);
                if ((base.equals(n) || base.endsWith("," + n)) && (context == null || nc.length() > context.length())) {
                    context = nc;
                }
            }
            if (context == null) {
                return Optional.empty();
            }
            String container = "CN=Deleted Objects," + context;
            SearchRequest probe = new SearchRequest(container, SearchScope.ONE, DereferencePolicy.NEVER, 1, 0, false,
                    Filter.createEqualityFilter("isDeleted", "TRUE"), "1.1");
            probe.setResponseTimeoutMillis(config.responseTimeout().toMillis());
            probe.addControl(new Control(AD_SHOW_DELETED_OID, true));
            SearchResult result;
            try {
                result = connection.search(probe);
            } catch (LDAPSearchException e) {
                if (e.getResultCode() != ResultCode.SIZE_LIMIT_EXCEEDED) {
                    return Optional.empty();
                }
                result = e.getSearchResult();
            }
            return result.getEntryCount() > 0 ? Optional.of(container) : Optional.empty();
        } catch (LDAPException e) {
            return Optional.empty();
        }
    }

    /** One line per session: how deletions are noticed, and within what bound. */
    private void logDeletions() {
        LogLine line = LogLine.event("directory-deletions").add("mode", ConfigName.of(mode));
        if (deletions == Deletions.PUSHED) {
            line.add("via", mode == ChangeTracking.POLL ? "listing" : mode == ChangeTracking.SYNCREPL ? "syncrepl" : "tombstones")
                    .add("bound_ms", mode == ChangeTracking.POLL ? cache.pollInterval().toMillis() : 1000);
        } else if (reconciliation.enabled()) {
            // Persistent searches wake every WAKE_MILLIS to check; dirsync and poll after each poll.
            long slack = mode == ChangeTracking.DIRSYNC || mode == ChangeTracking.POLL ? cache.pollInterval().toMillis() : WAKE_MILLIS;
            line.add("via", "reconciliation").add("bound_ms", reconciliation.interval().toMillis() + slack)
                    .add("plus", "one listing");
        } else {
            line.add("via", "ttl").add("bound_ms", cache.positiveTtl().toMillis());
        }
        line.info(LOG);
    }

    private Reconciliation.ListingSource listingSource() {
        return new Reconciliation.ListingSource(index, config.baseDn(), config.pageSize(),
                config.responseTimeout().toMillis(), attributes(idAttribute()), this::id);
    }

    private void reconcileIfDue(LDAPConnection connection) throws LDAPException {
        if (index.hasListing() && reconciliation.runIfDue(connection, listingSource()) > 0
                && deletions == Deletions.LISTING) {
            reprobe.run();
        }
    }

    // ---- Active Directory DirSync (needs the "Replicating Directory Changes" right) ----

    private void dirsync(LDAPConnection connection) throws LDAPException, InterruptedException {
        // The first round (no cookie) returns every object with every requested attribute: the listing.
        Map<String, EntryIndex.Snapshot> all = new HashMap<>();
        ASN1OctetString cookie = dirsyncRound(connection, null, entry -> all.put(id(entry), index.snapshot(entry)));
        index.listed(all);
        LOG.info("event=directory-tracking-ready mode=dirsync entries={} interval_ms={}", index.size(),
                cache.pollInterval().toMillis());
        logDeletions();
        while (!closed) {
            Thread.sleep(cache.pollInterval().toMillis());
            reconcileIfDue(connection);
            cookie = dirsyncRound(connection, cookie, entry -> {
                String id = id(entry);
                if ("TRUE".equalsIgnoreCase(entry.getAttributeValue("isDeleted"))) {
                    index.tombstone(id);
                    return;
                }
                // Later rounds carry only the changed attributes: read the whole entry again.
                try {
                    SearchResultEntry full = connection.getEntry(entry.getDN(), attributes(idAttribute()));
                    if (full != null) {
                        index.changed(id, index.snapshot(full), !index.knows(id));
                    }
                } catch (LDAPException e) {
                    throw new IllegalStateException(e);
                }
            });
        }
    }

    /** One DirSync exchange (as many pages as the server has), returning the cookie for the next. */
    private ASN1OctetString dirsyncRound(LDAPConnection connection, ASN1OctetString cookie,
                                         Consumer<SearchResultEntry> each) throws LDAPException {
        ASN1OctetString next = cookie;
        boolean more;
        do {
            // No attribute list: DirSync reports an object only when a *requested* attribute
            // changed, and a disabled account or a new password changes attributes the snapshot
            // does not hold (userAccountControl, pwdLastSet).
            SearchRequest request = new SearchRequest(config.baseDn(), SearchScope.SUB,
                    Filter.createPresenceFilter("objectClass"));
            request.setResponseTimeoutMillis(config.responseTimeout().toMillis());
            request.addControl(new ActiveDirectoryDirSyncControl(true, 0, 0, next));
            SearchResult result = connection.search(request);
            try {
                result.getSearchEntries().forEach(each);
            } catch (IllegalStateException e) {
                if (e.getCause() instanceof LDAPException ldap) {
                    throw ldap;
                }
                throw e;
            }
            ActiveDirectoryDirSyncControl response = ActiveDirectoryDirSyncControl.get(result);
            if (response == null) {
                throw new LDAPException(ResultCode.UNAVAILABLE_CRITICAL_EXTENSION, "no DirSync response control");
            }
            next = response.getCookie();
            more = response.getFlags() != 0;
        } while (more);
        return next;
    }

    // ---- polling ----

    private void poll(LDAPConnection connection) throws LDAPException, InterruptedException {
        long highest = activeDirectory ? highestCommittedUsn(connection) : 0;
        fullListing(connection);
        LOG.info("event=directory-tracking-ready mode=poll entries={} interval_ms={}", index.size(),
                cache.pollInterval().toMillis());
        if (!activeDirectory) {
            deletions = Deletions.PUSHED; // each poll is a full listing
        }
        logDeletions();
        while (!closed) {
            Thread.sleep(cache.pollInterval().toMillis());
            if (!activeDirectory) {
                fullListing(connection);
                continue;
            }
            reconcileIfDue(connection);
            long now = highestCommittedUsn(connection);
            if (now == highest) {
                continue;
            }
            SearchRequest request = new SearchRequest(config.baseDn(), SearchScope.SUB,
                    Filter.createGreaterOrEqualFilter("uSNChanged", Long.toString(highest + 1)), attributes("objectGUID"));
            request.setResponseTimeoutMillis(config.responseTimeout().toMillis());
            request.addControl(new Control(AD_SHOW_DELETED_OID, false));
            List<String> names = new ArrayList<>(List.of(request.getAttributes()));
            names.add("isDeleted");
            request.setAttributes(names);
            SearchResult result = connection.search(request);
            for (SearchResultEntry entry : result.getSearchEntries()) {
                if ("TRUE".equalsIgnoreCase(entry.getAttributeValue("isDeleted"))) {
                    index.tombstone(id(entry));
                } else {
                    index.changed(id(entry), index.snapshot(entry), !index.knows(id(entry)));
                }
            }
            highest = now;
        }
    }

    private long highestCommittedUsn(LDAPConnection connection) throws LDAPException {
        RootDSE root = connection.getRootDSE();
        String value = root == null ? null : root.getAttributeValue("highestCommittedUSN");
        if (value == null) {
            throw new LDAPException(ResultCode.UNWILLING_TO_PERFORM, "the rootDSE has no highestCommittedUSN");
        }
        return Long.parseLong(value.trim());
    }

    /** Lists every entry under the base and lets the index publish what differs from what it knew. */
    private void fullListing(LDAPConnection connection) throws LDAPException {
        Searcher searcher = new Searcher(connection, config.pageSize(), config.responseTimeout().toMillis(), () -> { });
        Map<String, EntryIndex.Snapshot> all = new HashMap<>();
        try {
            for (SearchResultEntry entry : searcher.paged(DirectoryTrace.off(), config.baseDn(),
                    Filter.createPresenceFilter("objectClass"), attributes(idAttribute()))) {
                all.put(id(entry), index.snapshot(entry));
            }
        } catch (DirectoryUnavailable e) {
            throw new LDAPException(ResultCode.SERVER_DOWN, e.getMessage());
        }
        index.listed(all);
    }

    // ---- off: probe only ----

    private void probe(LDAPConnection connection) throws LDAPException, InterruptedException {
        while (!closed) {
            Thread.sleep(cache.pollInterval().toMillis());
            connection.getRootDSE();
            listener.reachability(true, "ok");
        }
    }

    /** Waits until the persistent search ends or its connection breaks; bounded polls keep close() prompt. */
    private void awaitEnd(LDAPConnection connection, CompletableFuture<SearchResult> ended)
            throws LDAPException, InterruptedException {
        while (!closed) {
            try {
                SearchResult result = ended.get(WAKE_MILLIS, TimeUnit.MILLISECONDS);
                throw new LDAPException(result.getResultCode(), "persistent search ended: "
                        + result.getResultCode() + " " + Optional.ofNullable(result.getDiagnosticMessage()).orElse(""));
            } catch (TimeoutException e) {
                if (!connection.isConnected()) {
                    throw new LDAPException(ResultCode.SERVER_DOWN, "connection closed");
                }
                reconcileIfDue(connection);
            } catch (ExecutionException e) {
                throw new LDAPException(ResultCode.LOCAL_ERROR, e.getCause().toString());
            }
        }
    }

    @Override
    public void close() {
        closed = true;
        LDAPConnection connection = current;
        if (connection != null) {
            connection.close();
        }
        thread.interrupt();
        try {
            thread.join(5000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        connections.close();
    }

    /** How a mode is spelled in the configuration and in logs. */
    private static final class ConfigName {
        static String of(ChangeTracking mode) {
            return mode.name().toLowerCase(Locale.ROOT);
        }
    }
}
