package io.postern.directory.ldap;

import com.unboundid.ldap.listener.InMemoryDirectoryServer;
import com.unboundid.ldap.listener.interceptor.InMemoryInterceptedAddResult;
import com.unboundid.ldap.listener.interceptor.InMemoryInterceptedDeleteRequest;
import com.unboundid.ldap.listener.interceptor.InMemoryInterceptedDeleteResult;
import com.unboundid.ldap.listener.interceptor.InMemoryInterceptedModifyDNRequest;
import com.unboundid.ldap.listener.interceptor.InMemoryInterceptedModifyDNResult;
import com.unboundid.ldap.listener.interceptor.InMemoryInterceptedModifyRequest;
import com.unboundid.ldap.listener.interceptor.InMemoryInterceptedModifyResult;
import com.unboundid.ldap.listener.interceptor.InMemoryOperationInterceptor;
import com.unboundid.ldap.sdk.DN;
import com.unboundid.ldap.sdk.Entry;
import com.unboundid.ldap.sdk.LDAPException;
import com.unboundid.ldap.sdk.RDN;
import com.unboundid.ldap.sdk.ResultCode;
import io.postern.config.DirectoryMapping;
import io.postern.directory.DirectoryChange;
import io.postern.directory.DirectoryChangeListener;
import io.postern.mail.MailAddress;
import io.postern.observability.LogLine;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Tells the cache of the same process about every change made to the embedded directory, as the
 * change is made: the server runs in this JVM, so nothing has to be polled. Each successful add,
 * modify, delete or rename becomes one {@link DirectoryChange} (the entry before and after), sent
 * before the client gets its answer: when {@code ldapadd} returns, the cache already knows.
 * Until {@link #publishTo} is called it does nothing. Thread-safe.
 */
final class EmbeddedChangePublisher extends InMemoryOperationInterceptor {
    private static final Logger LOG = LoggerFactory.getLogger(EmbeddedChangePublisher.class);

    /** Where changes go, and how an entry is read for them. */
    private record Target(EntryIndex index, DirectoryChangeListener listener) {
    }

    private final AtomicReference<InMemoryDirectoryServer> server = new AtomicReference<>();
    private final AtomicReference<Target> target = new AtomicReference<>();
    /** The entry before a modify, delete or rename, by connection and message id, until its result. */
    private final Map<String, Optional<Entry>> before = new ConcurrentHashMap<>();

    void serve(InMemoryDirectoryServer directory) {
        server.set(directory);
    }

    void publishTo(DirectoryMapping mapping, DirectoryChangeListener listener) {
        target.set(new Target(new EntryIndex(mapping, List.of(), listener), listener));
    }

    @Override
    public void processModifyRequest(InMemoryInterceptedModifyRequest request) {
        remember(request.getConnectionID(), request.getMessageID(), request.getRequest().getDN());
    }

    @Override
    public void processDeleteRequest(InMemoryInterceptedDeleteRequest request) {
        remember(request.getConnectionID(), request.getMessageID(), request.getRequest().getDN());
    }

    @Override
    public void processModifyDNRequest(InMemoryInterceptedModifyDNRequest request) {
        remember(request.getConnectionID(), request.getMessageID(), request.getRequest().getDN());
    }

    @Override
    public void processAddResult(InMemoryInterceptedAddResult result) {
        if (result.getResult().getResultCode() == ResultCode.SUCCESS) {
            String dn = result.getRequest().getDN();
            publish(DirectoryChange.Kind.ADD, Optional.empty(), dn, read(dn));
        }
    }

    @Override
    public void processModifyResult(InMemoryInterceptedModifyResult result) {
        Optional<Entry> old = forget(result.getConnectionID(), result.getMessageID());
        if (result.getResult().getResultCode() == ResultCode.SUCCESS) {
            String dn = result.getRequest().getDN();
            publish(DirectoryChange.Kind.MODIFY, old, dn, read(dn));
        }
    }

    @Override
    public void processDeleteResult(InMemoryInterceptedDeleteResult result) {
        Optional<Entry> old = forget(result.getConnectionID(), result.getMessageID());
        if (result.getResult().getResultCode() == ResultCode.SUCCESS) {
            publish(DirectoryChange.Kind.DELETE, old, result.getRequest().getDN(), Optional.empty());
        }
    }

    @Override
    public void processModifyDNResult(InMemoryInterceptedModifyDNResult result) {
        Optional<Entry> old = forget(result.getConnectionID(), result.getMessageID());
        if (result.getResult().getResultCode() != ResultCode.SUCCESS) {
            return;
        }
        var request = result.getRequest();
        try {
            DN from = new DN(request.getDN());
            DN parent = request.getNewSuperiorDN() != null ? new DN(request.getNewSuperiorDN()) : from.getParent();
            String to = new DN(new RDN(request.getNewRDN()), parent).toString();
            publish(DirectoryChange.Kind.RENAME, old, to, read(to));
        } catch (LDAPException e) {
            publish(DirectoryChange.Kind.RENAME, old, request.getDN(), Optional.empty());
        }
    }

    private void remember(long connection, int message, String dn) {
        if (target.get() != null) {
            before.put(connection + ":" + message, read(dn));
        }
    }

    private Optional<Entry> forget(long connection, int message) {
        Optional<Entry> old = before.remove(connection + ":" + message);
        return old == null ? Optional.empty() : old;
    }

    private Optional<Entry> read(String dn) {
        InMemoryDirectoryServer directory = server.get();
        if (directory == null || target.get() == null) {
            return Optional.empty();
        }
        try {
            return Optional.ofNullable(directory.getEntry(dn));
        } catch (LDAPException e) {
            return Optional.empty();
        }
    }

    private void publish(DirectoryChange.Kind kind, Optional<Entry> old, String dn, Optional<Entry> now) {
        Target to = target.get();
        if (to == null) {
            return;
        }
        Optional<EntryIndex.Snapshot> was = old.map(to.index()::snapshot);
        Optional<EntryIndex.Snapshot> is = now.map(to.index()::snapshot);
        Set<String> domains = new HashSet<>();
        was.ifPresent(s -> domains.addAll(s.domains()));
        is.ifPresent(s -> domains.addAll(s.domains()));
        Set<MailAddress> oldAddresses = was.map(EntryIndex.Snapshot::addresses).orElse(Set.of());
        Set<MailAddress> newAddresses = is.map(EntryIndex.Snapshot::addresses).orElse(Set.of());
        boolean group = was.map(EntryIndex.Snapshot::group).orElse(false) || is.map(EntryIndex.Snapshot::group).orElse(false);
        String oldDn = old.map(Entry::getDN).orElse(dn);
        try {
            to.listener().changed(new DirectoryChange(kind, dn, oldDn, oldAddresses, newAddresses, domains, group));
        } catch (RuntimeException e) {
            // The change is made; a failing listener must not fail the client's operation.
            LogLine.event("embedded-change-not-published").add("dn", dn).add("error", e.toString()).warn(LOG);
            return;
        }
        LogLine.event("embedded-directory-change").add("kind", kind.name().toLowerCase(java.util.Locale.ROOT))
                .add("dn", dn).debug(LOG);
    }
}
