package io.postern.directory.ldap;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.unboundid.ldap.sdk.CompareRequest;
import com.unboundid.ldap.sdk.Filter;
import com.unboundid.ldap.sdk.LDAPConnection;
import com.unboundid.ldap.sdk.LDAPException;
import com.unboundid.ldap.sdk.Modification;
import com.unboundid.ldap.sdk.ModificationType;
import com.unboundid.ldap.sdk.ResultCode;
import com.unboundid.ldap.sdk.SearchResult;
import com.unboundid.ldap.sdk.SearchResultEntry;
import com.unboundid.ldap.sdk.SearchScope;
import com.unboundid.ldap.sdk.extensions.PasswordModifyExtendedRequest;
import io.postern.config.ConfigLoader;
import io.postern.config.EmbeddedDirectoryConfig;
import io.postern.config.PosternConfig;
import io.postern.config.SecretResolver;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** What an LDAP client on the machine can do to the demo's embedded directory. */
class EmbeddedDirectoryServerTest {
    private static final String BASE = "dc=example,dc=test";
    private static final String ALICE = "uid=alice,ou=people," + BASE;
    private static final String ADMIN = "cn=admin," + BASE;

    private EmbeddedDirectoryServer server;

    @BeforeEach
    void start() throws Exception {
        // The configuration as an operator writes it, no address given; a port of 0 is not a valid
        // configured port, so the free one is chosen here.
        Path home = Path.of("..").toAbsolutePath().normalize();
        PosternConfig config = new ConfigLoader(new SecretResolver(Map.of())).parse("""
                listeners: [{ kind: mx, port: 2525 }]
                directory: { baseDn: 'dc=example,dc=test', embedded: { ldif: ldif/demo.ldif } }
                """, home, "t.yaml");
        EmbeddedDirectoryConfig embedded = config.directory().embedded().orElseThrow();
        server = EmbeddedDirectoryServer.start(new EmbeddedDirectoryConfig(embedded.ldif(), embedded.address(), 0,
                embedded.bindDn(), embedded.bindPassword()), BASE);
    }

    @AfterEach
    void stop() {
        server.close();
    }

    @Test
    void anonymousClientsCannotChangeAnything() throws Exception {
        try (LDAPConnection anonymous = connect()) {
            LDAPException e = modifyMail(anonymous);
            assertThat(e.getResultCode()).isIn(ResultCode.INSUFFICIENT_ACCESS_RIGHTS, ResultCode.UNWILLING_TO_PERFORM);
            assertThatThrownBy(() -> anonymous.delete("uid=bob,ou=people," + BASE)).isInstanceOf(LDAPException.class);
            assertThat(anonymous.processExtendedOperation(new PasswordModifyExtendedRequest(ALICE, "alice-pw", "mine-now"))
                    .getResultCode()).isEqualTo(ResultCode.INSUFFICIENT_ACCESS_RIGHTS);
        }
        assertThat(server.server().getEntry(ALICE).getAttributeValue("mail")).isEqualTo("alice@example.test");
        try (LDAPConnection alice = connect()) {
            alice.bind(ALICE, "alice-pw");
        }
    }

    @Test
    void aDemoUserCannotChangeEntriesEither() throws Exception {
        try (LDAPConnection alice = connect()) {
            alice.bind(ALICE, "alice-pw");
            assertThat(modifyMail(alice).getResultCode()).isEqualTo(ResultCode.INSUFFICIENT_ACCESS_RIGHTS);
        }
        assertThat(server.server().getEntry(ALICE).getAttributeValue("mail")).isEqualTo("alice@example.test");
    }

    @Test
    void nobodyReadsPasswordsOrProbesThemWithFiltersOrCompare() throws Exception {
        try (LDAPConnection anonymous = connect(); LDAPConnection admin = connect()) {
            admin.bind(ADMIN, "admin-pw");
            for (LDAPConnection c : new LDAPConnection[] {anonymous, admin}) {
                SearchResultEntry entry = c.getEntry(ALICE, "*", "userPassword");
                assertThat(entry.getAttributeValue("mail")).isEqualTo("alice@example.test");
                assertThat(entry.hasAttribute("userPassword")).isFalse();
                SearchResult all = c.search(BASE, SearchScope.SUB, Filter.createPresenceFilter("objectClass"), "*");
                assertThat(all.getSearchEntries()).isNotEmpty()
                        .allSatisfy(e -> assertThat(e.hasAttribute("userPassword")).isFalse());
                assertThatThrownBy(() -> c.search(BASE, SearchScope.SUB, Filter.createANDFilter(
                        Filter.createEqualityFilter("uid", "alice"), Filter.createEqualityFilter("userPassword", "alice-pw"))))
                        .isInstanceOfSatisfying(LDAPException.class, e -> assertThat(e.getResultCode())
                                .isEqualTo(ResultCode.INSUFFICIENT_ACCESS_RIGHTS));
                assertThatThrownBy(() -> c.search(BASE, SearchScope.SUB, Filter.createNOTFilter(
                        Filter.createSubstringFilter("USERPASSWORD", "a", null, null))))
                        .isInstanceOf(LDAPException.class);
                assertThatThrownBy(() -> c.compare(new CompareRequest(ALICE, "userPassword", "alice-pw")))
                        .isInstanceOf(LDAPException.class);
            }
        }
    }

    @Test
    void theAdministratorStillManagesTheDirectoryAndUsersStillLogIn() throws Exception {
        try (LDAPConnection admin = connect()) {
            admin.bind(ADMIN, "admin-pw");
            admin.modify(ALICE, new Modification(ModificationType.REPLACE, "description", "changed by the admin"));
            assertThat(admin.search(BASE, SearchScope.SUB, Filter.createEqualityFilter("mail", "bob@example.test"), "mail")
                    .getEntryCount()).isEqualTo(1);
            // Rebinding as someone else drops the administrator's rights on that connection.
            admin.bind(ALICE, "alice-pw");
            assertThat(modifyMail(admin).getResultCode()).isEqualTo(ResultCode.INSUFFICIENT_ACCESS_RIGHTS);
        }
        assertThat(server.server().getEntry(ALICE).getAttributeValue("description")).isEqualTo("changed by the admin");
        try (LDAPConnection bob = connect()) {
            assertThat(bob.bind("uid=bob,ou=people," + BASE, "bob-pw").getResultCode()).isEqualTo(ResultCode.SUCCESS);
            assertThatThrownBy(() -> bob.bind("uid=bob,ou=people," + BASE, "wrong")).isInstanceOf(LDAPException.class);
        }
    }

    @Test
    void listensOnLoopbackWhenNoAddressIsConfigured() {
        assertThat(server.url()).startsWith("ldap://127.0.0.1:");
        assertThat(server.server().getListenAddress().isLoopbackAddress()).isTrue();
    }

    private LDAPConnection connect() throws LDAPException {
        return new LDAPConnection("127.0.0.1", server.server().getListenPort());
    }

    private static LDAPException modifyMail(LDAPConnection c) {
        try {
            c.modify(ALICE, new Modification(ModificationType.REPLACE, "mail", "mallory@example.test"));
        } catch (LDAPException e) {
            return e;
        }
        throw new AssertionError("the modification was accepted");
    }
}
