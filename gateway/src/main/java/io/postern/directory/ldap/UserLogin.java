package io.postern.directory.ldap;

import com.unboundid.ldap.sdk.Filter;
import com.unboundid.ldap.sdk.LDAPConnection;
import com.unboundid.ldap.sdk.LDAPConnectionPool;
import com.unboundid.ldap.sdk.LDAPException;
import com.unboundid.ldap.sdk.ResultCode;
import com.unboundid.ldap.sdk.SearchResultEntry;
import com.unboundid.ldap.sdk.SimpleBindRequest;
import io.postern.config.DirectoryMapping;
import io.postern.directory.Login;
import io.postern.mail.MailAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

/**
 * Checks a login by binding as the user: the login (mail address, alternate address, UPN,
 * sAMAccountName, {@code DOMAIN\name} or uid) is searched with the service account, the one
 * entry found is bound on the bind pool, then its account state is checked. A login without an
 * entry is answered after a bind as a decoy DN, so that it takes as long as a wrong password.
 * Untrusted input:
 * login and password; both are refused before any network traffic when empty, too long or
 * holding control characters (an empty password would be an anonymous bind that SUCCEEDS on
 * AD). Thread-safe.
 */
final class UserLogin {
    static final int MAX_LOGIN = 320;
    static final int MAX_PASSWORD = 1024;

    private final Searcher searcher;
    private final LDAPConnectionPool bindPool;
    private final EntryReader reader;
    private final DirectoryMapping mapping;
    private final Filter userFilter;
    private final long timeoutMillis;
    private final String decoyDn;

    UserLogin(Searcher searcher, LDAPConnectionPool bindPool, EntryReader reader, DirectoryMapping mapping,
            Filter userFilter, long timeoutMillis) {
        this.searcher = searcher;
        this.bindPool = bindPool;
        this.reader = reader;
        this.mapping = mapping;
        this.userFilter = userFilter;
        this.timeoutMillis = timeoutMillis;
        // Under the users' base, so that the server does the same kind of work; random, so that no real entry has it.
        this.decoyDn = "cn=postern-decoy-" + UUID.randomUUID() + "," + mapping.bases().users();
    }

    Login authenticate(String login, String password, DirectoryTrace trace) {
        if (password == null || password.isEmpty()) {
            trace.note("empty password: refused before binding (AD would treat it as an anonymous bind)");
            return new Login.Failed(Login.Reason.EMPTY_PASSWORD);
        }
        if (login == null || login.isEmpty() || login.length() > MAX_LOGIN || password.length() > MAX_PASSWORD
                || !LdapDirectory.matchable(login)) {
            trace.note("login refused before searching: empty, longer than " + MAX_LOGIN
                    + " characters, password longer than " + MAX_PASSWORD + ", spaces at either end, or control characters");
            return new Login.Failed(Login.Reason.INVALID_LOGIN);
        }
        List<SearchResultEntry> found;
        try {
            found = searcher.lookup(trace, mapping.bases().users(), Filter.createANDFilter(userFilter, loginFilter(login)),
                    reader.recipientAttributes());
        } catch (DirectoryUnavailable e) {
            return new Login.TempFail(e.getMessage());
        }
        if (found.isEmpty()) {
            trace.note("no user entry for this login");
            return decoy(Login.Reason.UNKNOWN_USER, password, trace);
        }
        if (found.size() > 1) {
            trace.note("the login matches " + found.size() + " entries: refused (ambiguous)");
            return decoy(Login.Reason.INVALID_LOGIN, password, trace);
        }
        SearchResultEntry entry = found.get(0);
        trace.note("user " + entry.getDN());
        Optional<Login.Reason> refused;
        try {
            refused = bind(entry.getDN(), password, trace);
        } catch (DirectoryUnavailable e) {
            return new Login.TempFail(e.getMessage());
        }
        if (refused.isPresent()) {
            return new Login.Failed(refused.get());
        }
        if (reader.disabled(entry)) {
            trace.note("password right, but the account is disabled");
            return new Login.Failed(Login.Reason.DISABLED);
        }
        Optional<MailAddress> primary = reader.primary(entry).or(() -> MailAddress.parse(login));
        if (primary.isEmpty()) {
            trace.note("password right, but the entry has no mail address");
            return new Login.Failed(Login.Reason.UNKNOWN_USER);
        }
        return new Login.Succeeded(new Login.Identity(login, entry.getDN(), primary.get()));
    }

    /**
     * Refuses a login that has no single entry only after a bind as {@link #decoyDn}, an entry
     * that does not exist, with the given password: an unknown login then costs the same search
     * and bind round trips as a wrong password, and its answer time tells no one whether the
     * login exists. The bind's answer is ignored, except that a directory that cannot bind now
     * gives TempFail exactly as it would for a known login.
     */
    private Login decoy(Login.Reason reason, String password, DirectoryTrace trace) {
        try {
            bind(decoyDn, password, trace);
        } catch (DirectoryUnavailable e) {
            return new Login.TempFail(e.getMessage());
        }
        return new Login.Failed(reason);
    }

    /** OR of equality filters over the login attributes; {@code DOMAIN\name} only as sAMAccountName. */
    Filter loginFilter(String login) {
        List<Filter> any = new ArrayList<>();
        int backslash = login.lastIndexOf('\\');
        boolean hasSam = mapping.attributes().login().stream().anyMatch(a -> a.equalsIgnoreCase("sAMAccountName"));
        if (backslash > 0 && hasSam && backslash < login.length() - 1) {
            return Filter.createEqualityFilter("sAMAccountName", login.substring(backslash + 1));
        }
        for (String attribute : mapping.attributes().login()) {
            any.add(Filter.createEqualityFilter(attribute, login));
        }
        if (login.indexOf('@') > 0 && !mapping.attributes().alternateAddress().isEmpty()) {
            any.add(Filter.createEqualityFilter(mapping.attributes().alternateAddress(), reader.alternateValue(login)));
        }
        return Filter.createORFilter(any);
    }

    /** Empty on success, the reason on a refused bind; unavailable when no server answers. */
    private Optional<Login.Reason> bind(String dn, String password, DirectoryTrace trace) throws DirectoryUnavailable {
        LDAPConnection connection;
        try {
            connection = bindPool.getConnection();
        } catch (LDAPException e) {
            trace.note("bind pool: " + Searcher.describe(e));
            throw Searcher.unavailable(e);
        }
        SimpleBindRequest request = new SimpleBindRequest(dn, password);
        request.setResponseTimeoutMillis(timeoutMillis);
        try {
            connection.bind(request);
            bindPool.releaseConnection(connection);
            trace.note("bind as " + dn + " -> success");
            return Optional.empty();
        } catch (LDAPException e) {
            if (ResultCode.isConnectionUsable(e.getResultCode())) {
                bindPool.releaseConnection(connection);
            } else {
                bindPool.releaseDefunctConnection(connection);
            }
            Optional<Login.Reason> reason = BindOutcome.reason(e);
            trace.note("bind as " + dn + " -> " + Searcher.describe(e)
                    + BindOutcome.adDataCode(e.getDiagnosticMessage()).map(c -> " [AD data " + c + "]").orElse(""));
            if (reason.isEmpty()) {
                throw Searcher.unavailable(e);
            }
            return reason;
        }
    }
}
