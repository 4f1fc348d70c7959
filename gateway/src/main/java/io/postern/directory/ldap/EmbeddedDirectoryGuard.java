package io.postern.directory.ldap;

import com.unboundid.ldap.listener.interceptor.InMemoryInterceptedAddRequest;
import com.unboundid.ldap.listener.interceptor.InMemoryInterceptedCompareRequest;
import com.unboundid.ldap.listener.interceptor.InMemoryInterceptedDeleteRequest;
import com.unboundid.ldap.listener.interceptor.InMemoryInterceptedExtendedRequest;
import com.unboundid.ldap.listener.interceptor.InMemoryInterceptedModifyDNRequest;
import com.unboundid.ldap.listener.interceptor.InMemoryInterceptedModifyRequest;
import com.unboundid.ldap.listener.interceptor.InMemoryInterceptedRequest;
import com.unboundid.ldap.listener.interceptor.InMemoryInterceptedSearchEntry;
import com.unboundid.ldap.listener.interceptor.InMemoryInterceptedSearchRequest;
import com.unboundid.ldap.listener.interceptor.InMemoryInterceptedSimpleBindResult;
import com.unboundid.ldap.listener.interceptor.InMemoryOperationInterceptor;
import com.unboundid.ldap.sdk.Attribute;
import com.unboundid.ldap.sdk.DN;
import com.unboundid.ldap.sdk.Entry;
import com.unboundid.ldap.sdk.Filter;
import com.unboundid.ldap.sdk.LDAPException;
import com.unboundid.ldap.sdk.ResultCode;
import com.unboundid.ldap.sdk.extensions.PasswordModifyExtendedRequest;
import java.util.Collection;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Collectors;

/**
 * The access rules of the embedded directory, which has no ACLs of its own: only a connection
 * bound as the configured administrator may write (add, delete, modify, rename, password
 * modify); nobody reads a password attribute over LDAP, names it in a search filter or compares
 * it (logins are checked by bind, as Active Directory does with {@code unicodePwd}), so neither an
 * anonymous client nor a demo user can fetch or guess the hashes. Refusals are
 * {@code insufficientAccessRights}. Thread-safe: the server calls it from every connection.
 */
final class EmbeddedDirectoryGuard extends InMemoryOperationInterceptor {
    private final DN administrator;
    private final Set<String> passwordAttributes;
    /** Connection ids now bound as the administrator; ids are never reused while the server runs. */
    private final Set<Long> administratorConnections = ConcurrentHashMap.newKeySet();

    EmbeddedDirectoryGuard(DN administrator, Collection<String> passwordAttributes) {
        this.administrator = administrator;
        this.passwordAttributes = passwordAttributes.stream().map(a -> a.toLowerCase(Locale.ROOT))
                .collect(Collectors.toUnmodifiableSet());
    }

    @Override
    public void processSimpleBindResult(InMemoryInterceptedSimpleBindResult bind) {
        boolean admin = bind.getResult().getResultCode() == ResultCode.SUCCESS && isAdministrator(bind.getRequest().getBindDN());
        if (admin) {
            administratorConnections.add(bind.getConnectionID());
        } else {
            administratorConnections.remove(bind.getConnectionID()); // a later bind replaces the identity
        }
    }

    @Override
    public void processAddRequest(InMemoryInterceptedAddRequest request) throws LDAPException {
        requireAdministrator(request);
    }

    @Override
    public void processDeleteRequest(InMemoryInterceptedDeleteRequest request) throws LDAPException {
        requireAdministrator(request);
    }

    @Override
    public void processModifyRequest(InMemoryInterceptedModifyRequest request) throws LDAPException {
        requireAdministrator(request);
    }

    @Override
    public void processModifyDNRequest(InMemoryInterceptedModifyDNRequest request) throws LDAPException {
        requireAdministrator(request);
    }

    @Override
    public void processExtendedRequest(InMemoryInterceptedExtendedRequest request) throws LDAPException {
        if (request.getRequest().getOID().equals(PasswordModifyExtendedRequest.PASSWORD_MODIFY_REQUEST_OID)) {
            requireAdministrator(request);
        }
    }

    @Override
    public void processCompareRequest(InMemoryInterceptedCompareRequest request) throws LDAPException {
        if (isPassword(request.getRequest().getAttributeName())) {
            throw refused("password attributes cannot be compared; bind instead");
        }
    }

    @Override
    public void processSearchRequest(InMemoryInterceptedSearchRequest request) throws LDAPException {
        if (namesPassword(request.getRequest().getFilter())) {
            throw refused("password attributes cannot be used in a search filter");
        }
    }

    @Override
    public void processSearchEntry(InMemoryInterceptedSearchEntry result) {
        Entry entry = result.getSearchEntry().duplicate();
        boolean removed = false;
        for (Attribute attribute : result.getSearchEntry().getAttributes()) {
            if (isPassword(attribute.getName())) {
                removed |= entry.removeAttribute(attribute.getName());
            }
        }
        if (removed) {
            result.setSearchEntry(entry);
        }
    }

    private void requireAdministrator(InMemoryInterceptedRequest request) throws LDAPException {
        if (!administratorConnections.contains(request.getConnectionID())) {
            throw refused("only " + administrator + " may change the embedded directory");
        }
    }

    private boolean isAdministrator(String bindDn) {
        try {
            return new DN(bindDn).equals(administrator);
        } catch (LDAPException e) {
            return false;
        }
    }

    private boolean namesPassword(Filter filter) {
        return switch (filter.getFilterType()) {
            case Filter.FILTER_TYPE_AND, Filter.FILTER_TYPE_OR -> {
                for (Filter component : filter.getComponents()) {
                    if (namesPassword(component)) {
                        yield true;
                    }
                }
                yield false;
            }
            case Filter.FILTER_TYPE_NOT -> namesPassword(filter.getNOTComponent());
            default -> filter.getAttributeName() != null && isPassword(filter.getAttributeName());
        };
    }

    private boolean isPassword(String attributeName) {
        String base = Attribute.getBaseName(attributeName).toLowerCase(Locale.ROOT);
        return passwordAttributes.contains(base) || base.equals("2.5.4.35");
    }

    private static LDAPException refused(String message) {
        return new LDAPException(ResultCode.INSUFFICIENT_ACCESS_RIGHTS, message);
    }
}
