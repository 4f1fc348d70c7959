package io.postern.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The directory section: profile defaults, nested sections, and a precise message for each mistake. */
class DirectoryConfigTest {

    static PosternConfig parse(String directory) {
        String yaml = "listeners:\n  - { name: smtp, kind: mx, address: 127.0.0.1, port: 25 }\ndirectory:\n"
                + directory.indent(2);
        return new ConfigLoader(new SecretResolver(Map.of())).parse(yaml, Path.of("/etc/postern"), "t.yaml");
    }

    static List<String> problems(String directory) {
        try {
            parse(directory);
            return List.of();
        } catch (ConfigException e) {
            return e.problems();
        }
    }

    @Test
    void openldapDefaults() {
        DirectoryConfig d = parse("urls: [ldap://ldap1.example.test]\nbaseDn: dc=example,dc=test").directory();
        assertThat(d.mapping().filters().user()).isEqualTo("(objectClass=inetOrgPerson)");
        assertThat(d.mapping().filters().alias()).isEqualTo("(objectClass=posternMailAlias)");
        assertThat(d.mapping().attributes().alternateAddress()).isEqualTo("posternAlternateAddress");
        assertThat(d.mapping().attributes().login()).containsExactly("uid", "mail");
        assertThat(d.mapping().bases().users()).isEqualTo("dc=example,dc=test");
        assertThat(d.groups().strategy()).isEqualTo(GroupExpansionConfig.Strategy.ITERATIVE);
        assertThat(d.subaddress()).isEqualTo(new SubaddressConfig(true, "+"));
        assertThat(d.pageSize()).isEqualTo(500);
        assertThat(d.healthCheckInterval()).isEqualTo(Duration.ofSeconds(30));
    }

    @Test
    void activeDirectoryDefaults() {
        DirectoryConfig d = parse("profile: active-directory\ndomain: ad.example.test\nbaseDn: DC=ad,DC=example,DC=test\n"
                + "globalCatalog: true\ndnsServer: 127.0.0.1:5353").directory();
        assertThat(d.mapping().attributes().alternateAddress()).isEqualTo("proxyAddresses");
        assertThat(d.mapping().attributes().alternateAddressPrefix()).isEqualTo("smtp:");
        assertThat(d.mapping().attributes().accountControl()).isEqualTo("userAccountControl");
        assertThat(d.mapping().attributes().login()).containsExactly("userPrincipalName", "sAMAccountName", "mail");
        assertThat(d.mapping().filters().alias()).isEmpty();
        assertThat(d.groups().strategy()).isEqualTo(GroupExpansionConfig.Strategy.IN_CHAIN);
        assertThat(d.globalCatalog()).isTrue();
        assertThat(d.dnsServer()).contains("127.0.0.1:5353");
        assertThat(parse("profile: active-directory\ndomain: ad.example.test").directory().baseDn())
                .isEqualTo("DC=ad,DC=example,DC=test");
    }

    @Test
    void existingMailSchemaProfilesNeedNoMapping() {
        DirectoryConfig misc = parse("profile: inet-local-mail\nurls: [ldap://l]\nbaseDn: dc=x").directory();
        assertThat(misc.mapping().attributes().alternateAddress()).isEqualTo("mailLocalAddress");
        assertThat(misc.mapping().attributes().forwardingAddress()).isEqualTo("mailRoutingAddress");
        assertThat(misc.mapping().attributes().aliasAddress()).isEqualTo("cn");
        assertThat(misc.mapping().attributes().aliasTarget()).isEqualTo("rfc822MailMember");
        DirectoryConfig iredmail = parse("profile: iredmail\nurls: [ldap://l]\nbaseDn: dc=x").directory();
        assertThat(iredmail.mapping().attributes().memberOfGroup()).isEqualTo("memberOfGroup");
        assertThat(iredmail.mapping().attributes().aliasAddress()).isEqualTo("mail");
        assertThat(iredmail.mapping().attributes().aliasTarget()).isEqualTo("mailForwardingAddress");
        assertThat(iredmail.mapping().attributes().member()).isEmpty();
        // An alias mapping left unset follows the operator's own mail and forwarding attributes.
        DirectoryConfig own = parse("urls: [ldap://l]\nbaseDn: dc=x\nattributes: { mail: rfc822Mailbox }").directory();
        assertThat(own.mapping().attributes().aliasAddress()).isEqualTo("rfc822Mailbox");
        assertThat(problems("urls: [ldap://l]\nbaseDn: dc=x\nattributes: { memberOfGroup: 'bad name' }"))
                .anySatisfy(p -> assertThat(p).contains("directory.attributes.memberOfGroup"));
    }

    @Test
    void nestedSectionsOverrideDefaults() {
        DirectoryConfig d = parse("""
                urls: [ldap://ldap1.example.test]
                baseDn: dc=example,dc=test
                bases: { users: "ou=people,dc=example,dc=test", groups: "ou=groups,dc=example,dc=test" }
                filters: { user: "(&(objectClass=inetOrgPerson)(!(employeeType=robot)))", alias: "" }
                attributes: { mail: rfc822Mailbox, login: [uid], member: [member] }
                subaddress: { enabled: false }
                groups: { expansion: iterative, maxDepth: 3, maxMembers: 50 }
                pageSize: 200
                """).directory();
        assertThat(d.mapping().bases().users()).isEqualTo("ou=people,dc=example,dc=test");
        assertThat(d.mapping().bases().aliases()).isEqualTo("dc=example,dc=test");
        assertThat(d.mapping().filters().alias()).isEmpty();
        assertThat(d.mapping().attributes().mail()).isEqualTo("rfc822Mailbox");
        assertThat(d.subaddress().baseOf("alice+x")).isEqualTo("alice+x");
        assertThat(d.groups()).isEqualTo(new GroupExpansionConfig(GroupExpansionConfig.Strategy.ITERATIVE, 3, 50,
                "entryDN", 100));
    }

    @Test
    void everyMistakeIsReportedWithItsPath() {
        assertThat(problems("""
                urls: [ldap://ldap1.example.test]
                baseDn: dc=example,dc=test
                filters: { user: "(objectClass=inetOrgPerson", group: "" }
                attributes: { mail: "mail; drop", member: ["member", "1bad"], login: [] }
                subaddress: { separators: "@" }
                groups: { expansion: sideways, maxDepth: 0, maxMembers: 0, colour: blue, batchSize: 0, dnAttribute: "a b" }
                pageSize: 0
                healthCheckInterval: 10ms
                dnsServer: dns.example.test
                """)).anySatisfy(p -> assertThat(p).startsWith("directory.filters.user: '(objectClass=inetOrgPerson' is not an LDAP filter"))
                .contains("directory.attributes.mail: 'mail; drop' is not an attribute name",
                        "directory.attributes.member[1]: '1bad' is not an attribute name",
                        "directory.attributes.login: needs at least one attribute",
                        "directory.subaddress.separators: '@' may hold only printable ASCII characters other than @",
                        "directory.groups.expansion: 'sideways' is not one of in-chain, iterative",
                        "directory.groups.maxDepth: 0 is out of range (1-100)",
                        "directory.groups.maxMembers: 0 is out of range (1-1000000)",
                        "directory.groups.colour: unknown key",
                        "directory.groups.batchSize: 0 is out of range (1-1000)",
                        "directory.groups.dnAttribute: 'a b' is not an attribute name",
                        "directory.pageSize: 0 is out of range (1-100000)",
                        "directory.healthCheckInterval: must be at least 100ms",
                        "directory.dnsServer: 'dns.example.test' is not an IP address (optionally with :port)");
        assertThat(problems("urls: [ldap://l]\nbaseDn: dc=x\nprofile: active-directory\ndomainsFromDirectory: true"))
                .contains("directory.domainsFromDirectory: needs directory.filters.domain and directory.attributes.domainName");
        assertThat(problems("urls: [ldap://l]\nbaseDn: dc=x\nsubaddress: { enabled: true, separators: \"\" }"))
                .contains("directory.subaddress.separators: must name at least one character when subaddressing is enabled");
    }

    @Test
    void subaddressCutsAtTheFirstSeparatorButNeverAtTheStart() {
        SubaddressConfig s = new SubaddressConfig(true, "+-");
        assertThat(s.baseOf("alice+a-b")).isEqualTo("alice");
        assertThat(s.baseOf("alice-a+b")).isEqualTo("alice");
        assertThat(s.baseOf("+alice")).isEqualTo("+alice");
        assertThat(new SubaddressConfig(false, "+").baseOf("alice+x")).isEqualTo("alice+x");
    }

    @Test
    void theOldConstructorStillWorksWithProfileDefaults() {
        DirectoryConfig d = new DirectoryConfig(DirectoryProfile.ACTIVE_DIRECTORY, java.util.Optional.empty(), List.of(),
                java.util.Optional.of("ad.example.test"), "DC=ad", "", "", false, java.util.Optional.empty(),
                Duration.ofSeconds(1), Duration.ofSeconds(1), 2, 2, false);
        assertThat(d.mapping().attributes().alternateAddress()).isEqualTo("proxyAddresses");
        assertThat(d.mapping().bases().users()).isEqualTo("DC=ad");
        assertThatThrownBy(() -> parse("profile: novell")).isInstanceOf(ConfigException.class);
    }
}
