package io.postern.schema;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.unboundid.ldap.listener.InMemoryDirectoryServer;
import com.unboundid.ldap.listener.InMemoryDirectoryServerConfig;
import com.unboundid.ldap.sdk.Entry;
import com.unboundid.ldap.sdk.Filter;
import com.unboundid.ldap.sdk.LDAPException;
import com.unboundid.ldap.sdk.SearchScope;
import com.unboundid.ldap.sdk.schema.Schema;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** The in-memory form loads into UnboundID's server and agrees with the two OpenLDAP forms. */
class DirectorySchemaTest {
    private static final Pattern NAME = Pattern.compile("\\( *([0-9.]+) +NAME +'([A-Za-z0-9-]+)'");

    @Test
    void inMemoryFormLoadsAndAcceptsRecipientsAliasesGroupsAndDomains() throws Exception {
        Schema postern = Schema.getSchema(resource("postern-inmemory.ldif"));
        assertThat(postern.getObjectClass("posternMailRecipient").getObjectClassType().name()).isEqualTo("AUXILIARY");
        assertThat(postern.getObjectClass("posternMailAlias")).isNotNull();
        assertThat(postern.getAttributeType("posternKeepCopy").isSingleValued()).isTrue();

        InMemoryDirectoryServerConfig config = new InMemoryDirectoryServerConfig("dc=example,dc=test");
        config.setSchema(Schema.mergeSchemas(Schema.getDefaultStandardSchema(), postern));
        InMemoryDirectoryServer server = new InMemoryDirectoryServer(config);
        try {
            server.add("dn: dc=example,dc=test", "objectClass: domain", "dc: example");
            server.add("dn: uid=alice,dc=example,dc=test", "objectClass: inetOrgPerson",
                    "objectClass: posternMailRecipient", "uid: alice", "cn: Alice", "sn: Example",
                    "mail: alice@example.test", "posternAlternateAddress: a.example@example.test",
                    "posternForwardingAddress: alice@elsewhere.test", "posternKeepCopy: TRUE",
                    "posternQuotaBytes: 1073741824", "posternAccountStatus: active",
                    "posternSpoolLocation: example.test/alice");
            server.add("dn: cn=info,dc=example,dc=test", "objectClass: posternMailAlias", "cn: info",
                    "mail: info@example.test", "posternForwardingAddress: alice@example.test");
            server.add("dn: cn=team,dc=example,dc=test", "objectClass: groupOfNames",
                    "objectClass: posternMailRecipient", "cn: team", "mail: team@example.test",
                    "member: uid=alice,dc=example,dc=test", "posternAllowedSender: alice@example.test");
            server.add("dn: posternDomainName=example.test,dc=example,dc=test", "objectClass: posternMailDomain",
                    "posternDomainName: example.test");

            Entry found = server.searchForEntry("dc=example,dc=test", SearchScope.SUB,
                    Filter.createEqualityFilter("posternAlternateAddress", "A.EXAMPLE@example.test"));
            assertThat(found.getDN()).isEqualTo("uid=alice,dc=example,dc=test");
            assertThat(found.getAttributeValueAsBoolean("posternKeepCopy")).isTrue();
            assertThat(server.countEntriesBelow("dc=example,dc=test")).isEqualTo(5);

            // Single-valued and syntax-checked, so a typo in the directory is refused, not guessed.
            assertThatThrownBy(() -> server.add("dn: uid=bob,dc=example,dc=test", "objectClass: inetOrgPerson",
                    "objectClass: posternMailRecipient", "uid: bob", "cn: Bob", "sn: Example",
                    "posternQuotaBytes: lots")).isInstanceOf(LDAPException.class);
            // An alias must name where it forwards to.
            assertThatThrownBy(() -> server.add("dn: cn=x,dc=example,dc=test", "objectClass: posternMailAlias",
                    "cn: x", "mail: x@example.test")).isInstanceOf(LDAPException.class);
        } finally {
            server.shutDown(true);
        }
    }

    @Test
    void threeFormsDefineTheSameOidsAndNames() throws Exception {
        Set<String> schema = names(text("postern.schema"));
        assertThat(schema).hasSize(11);
        assertThat(names(unfold(text("postern.ldif")))).isEqualTo(schema);
        assertThat(names(unfold(text("postern-inmemory.ldif")))).isEqualTo(schema);
        assertThat(schema).allMatch(s -> s.startsWith("2.25.271835815973073795294786542175974447666."));
    }

    private static Set<String> names(String text) {
        Set<String> out = new TreeSet<>();
        Matcher m = NAME.matcher(text);
        while (m.find()) {
            out.add(m.group(1) + " " + m.group(2));
        }
        return out;
    }

    private static String unfold(String ldif) {
        return ldif.replace("\n ", "");
    }

    private static String text(String name) throws IOException {
        try (InputStream in = resource(name)) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    private static InputStream resource(String name) {
        InputStream in = DirectorySchemaTest.class.getResourceAsStream("/io/postern/schema/" + name);
        assertThat(in).as(name).isNotNull();
        return in;
    }
}
