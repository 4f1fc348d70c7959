package io.postern.directory.ldap;

import com.unboundid.ldap.sdk.BindRequest;
import com.unboundid.ldap.sdk.FailoverServerSet;
import com.unboundid.ldap.sdk.GetEntryLDAPConnectionPoolHealthCheck;
import com.unboundid.ldap.sdk.LDAPConnectionOptions;
import com.unboundid.ldap.sdk.LDAPConnectionPool;
import com.unboundid.ldap.sdk.LDAPException;
import com.unboundid.ldap.sdk.PostConnectProcessor;
import com.unboundid.ldap.sdk.ServerSet;
import com.unboundid.ldap.sdk.SimpleBindRequest;
import com.unboundid.ldap.sdk.SingleServerSet;
import com.unboundid.ldap.sdk.StartTLSPostConnectProcessor;
import com.unboundid.util.ssl.HostNameSSLSocketVerifier;
import com.unboundid.util.ssl.JVMDefaultTrustManager;
import com.unboundid.util.ssl.PEMFileTrustManager;
import com.unboundid.util.ssl.SSLUtil;
import io.postern.config.DirectoryConfig;
import java.io.IOException;
import java.net.URI;
import java.security.GeneralSecurityException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import javax.net.SocketFactory;
import javax.net.ssl.TrustManager;

/**
 * The two connection pools: searches as the service account, and user binds (a connection of
 * the bind pool is only ever used to bind, so its authentication state never leaks into a
 * search). Both share one server set: the configured URLs in order with failover, LDAPS or
 * StartTLS verified against the CA file (or the JVM's CAs) with host name checking. Pools start
 * even when no server answers (lookups then report "unavailable" and readiness fails) and a
 * background health check reads the root DSE. Thread-safe.
 */
final class LdapConnections implements AutoCloseable {
    /** How long a connection to a fallback server lives before the pool tries the first one again. */
    static final long FAILBACK_AGE_MILLIS = 5 * 60 * 1000L;

    private final LDAPConnectionPool search;
    private final LDAPConnectionPool bind;
    private final List<URI> urls;

    private LdapConnections(LDAPConnectionPool search, LDAPConnectionPool bind, List<URI> urls) {
        this.search = search;
        this.bind = bind;
        this.urls = List.copyOf(urls);
    }

    static LdapConnections open(DirectoryConfig config, List<URI> urls) throws IOException {
        if (urls.isEmpty()) {
            throw new IOException("directory: no server URL (set directory.urls or directory.domain)");
        }
        LDAPConnectionOptions options = new LDAPConnectionOptions();
        options.setConnectTimeoutMillis((int) Math.min(Integer.MAX_VALUE, config.connectTimeout().toMillis()));
        options.setResponseTimeoutMillis(config.responseTimeout().toMillis());
        options.setFollowReferrals(config.followReferrals());
        options.setAbandonOnTimeout(true);
        options.setUseKeepAlive(true);
        boolean tls = config.startTls() || urls.stream().anyMatch(u -> u.getScheme().equalsIgnoreCase("ldaps"));
        SSLUtil ssl = tls ? sslUtil(config) : null;
        if (tls) {
            options.setSSLSocketVerifier(new HostNameSSLSocketVerifier(true));
        }
        try {
            List<ServerSet> sets = new ArrayList<>();
            for (URI url : urls) {
                boolean ldaps = url.getScheme().toLowerCase(Locale.ROOT).equals("ldaps");
                int port = url.getPort() > 0 ? url.getPort() : defaultPort(ldaps, config.globalCatalog());
                SocketFactory factory = ldaps ? ssl.createSSLSocketFactory() : SocketFactory.getDefault();
                PostConnectProcessor startTls = !ldaps && config.startTls()
                        ? new StartTLSPostConnectProcessor(ssl.createSSLSocketFactory()) : null;
                sets.add(new SingleServerSet(url.getHost(), port, factory, options, null, startTls));
            }
            ServerSet servers;
            if (sets.size() == 1) {
                servers = sets.get(0);
            } else {
                FailoverServerSet failover = new FailoverServerSet(sets);
                failover.setMaxFailoverConnectionAgeMillis(FAILBACK_AGE_MILLIS);
                servers = failover;
            }
            BindRequest service = config.bindDn().isEmpty() ? null
                    : new SimpleBindRequest(config.bindDn(), config.bindPassword());
            LDAPConnectionPool search = pool(servers, service, config.searchPoolSize(), config, "postern-directory-search");
            LDAPConnectionPool bind = pool(servers, null, config.bindPoolSize(), config, "postern-directory-bind");
            return new LdapConnections(search, bind, urls);
        } catch (LDAPException | GeneralSecurityException e) {
            throw new IOException("directory: cannot set up connections: " + e.getMessage(), e);
        }
    }

    private static LDAPConnectionPool pool(ServerSet servers, BindRequest bindRequest, int size, DirectoryConfig config,
            String name) throws LDAPException {
        // One initial connection, and no exception when it fails: a directory that is down at
        // start must give "try again later" answers, not a node that refuses to start.
        LDAPConnectionPool pool = new LDAPConnectionPool(servers, bindRequest, 1, size, 1, null, false);
        pool.setConnectionPoolName(name);
        pool.setCreateIfNecessary(true);
        pool.setMaxWaitTimeMillis(config.connectTimeout().toMillis());
        pool.setRetryFailedOperationsDueToInvalidConnections(true);
        // Background checks only: checking again after a failed operation would add another full
        // response timeout to every answer from a silent server (the failed connection is dropped anyway).
        pool.setHealthCheck(new GetEntryLDAPConnectionPoolHealthCheck("", config.responseTimeout().toMillis(),
                false, false, false, false, true, false));
        pool.setHealthCheckIntervalMillis(config.healthCheckInterval().toMillis());
        return pool;
    }

    private static SSLUtil sslUtil(DirectoryConfig config) throws IOException {
        TrustManager trust;
        if (config.caFile().isPresent()) {
            try {
                trust = new PEMFileTrustManager(config.caFile().get().toFile());
            } catch (java.security.KeyStoreException e) {
                throw new IOException("directory.caFile: cannot read " + config.caFile().get() + ": " + e.getMessage(), e);
            }
        } else {
            trust = JVMDefaultTrustManager.getInstance();
        }
        return new SSLUtil(trust);
    }

    static int defaultPort(boolean ldaps, boolean globalCatalog) {
        if (globalCatalog) {
            return ldaps ? 3269 : 3268;
        }
        return ldaps ? 636 : 389;
    }

    LDAPConnectionPool search() {
        return search;
    }

    LDAPConnectionPool bind() {
        return bind;
    }

    List<URI> urls() {
        return urls;
    }

    @Override
    public void close() {
        search.close();
        bind.close();
    }
}
