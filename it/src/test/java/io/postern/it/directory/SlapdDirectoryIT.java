package io.postern.it.directory;

import static io.postern.it.directory.DirectoryItSupport.a;
import static io.postern.it.directory.DirectoryItSupport.resolve;
import static org.assertj.core.api.Assertions.assertThat;

import io.postern.directory.Login;
import io.postern.directory.Lookup;
import io.postern.directory.Recipient;
import io.postern.directory.ldap.LdapDirectory;
import io.postern.it.servers.Slapd;
import io.postern.it.support.ExternalProcess;
import io.postern.it.support.Ports;
import io.postern.mail.MailAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The openldap profile against real slapd instances: Postern's schema loaded from the cn=config
 * LDIF in one and from the .schema file (slapd.conf converted by slaptest) in the other, every
 * question, hostile input, failover, the demo's data and a generated directory of 2,000 users.
 */
class SlapdDirectoryIT {
    @TempDir
    static Path dir;
    static Slapd ldifForm;
    static Slapd schemaForm;
    static LdapDirectory directory;
    static LdapDirectory viaSchemaFile;

    static String yaml(Slapd... servers) {
        StringBuilder urls = new StringBuilder();
        for (Slapd s : servers) {
            urls.append(urls.isEmpty() ? "" : ", ").append(s.url());
        }
        return """
                profile: openldap
                urls: [%s]
                baseDn: dc=example,dc=test
                bindDn: cn=admin,dc=example,dc=test
                bindPassword: admin-pw
                connectTimeout: 2s
                responseTimeout: 3s
                domainsFromDirectory: true
                """.formatted(urls);
    }

    @BeforeAll
    static void start() throws Exception {
        Path sample = DirectoryItSupport.repo("ldif/openldap/sample.ldif");
        ldifForm = Slapd.start(dir.resolve("a"), sample, Slapd.SchemaForm.CN_CONFIG_LDIF);
        schemaForm = Slapd.start(dir.resolve("b"), sample, Slapd.SchemaForm.SCHEMA_FILE);
        directory = DirectoryItSupport.connect(yaml(ldifForm));
        viaSchemaFile = DirectoryItSupport.connect(yaml(schemaForm));
    }

    @AfterAll
    static void stop() throws Exception {
        directory.close();
        viaSchemaFile.close();
        ldifForm.close();
        schemaForm.close();
    }

    @Test
    void everyKindOfRecipientOnBothSchemaForms() {
        for (LdapDirectory d : List.of(directory, viaSchemaFile)) {
            assertThat(resolve(d, "alice@example.test")).isInstanceOfSatisfying(Recipient.Mailbox.class, m -> {
                assertThat(m.spool()).contains("example.test/alice-archive");
                assertThat(m.quotaBytes()).hasValue(1073741824L);
                assertThat(m.disabled()).isFalse();
            });
            assertThat(resolve(d, "A.Example@example.test")).isInstanceOfSatisfying(Recipient.Mailbox.class,
                    m -> assertThat(m.address()).isEqualTo(a("alice@example.test")));
            assertThat(resolve(d, "alice+tag@example.test")).isInstanceOf(Recipient.Mailbox.class);
            assertThat(resolve(d, "info@example.test"))
                    .isEqualTo(new Recipient.Alias(a("info@example.test"), List.of(a("alice@example.test"))));
            assertThat(resolve(d, "bob@example.test")).isInstanceOfSatisfying(Recipient.Forward.class,
                    f -> assertThat(f.keepCopy()).isTrue());
            assertThat(resolve(d, "carol@example.test")).isInstanceOfSatisfying(Recipient.Forward.class,
                    f -> assertThat(f.keepCopy()).isFalse());
            assertThat(resolve(d, "dave@example.test")).isInstanceOfSatisfying(Recipient.Mailbox.class,
                    m -> assertThat(m.disabled()).isTrue());
            assertThat(resolve(d, "all@example.test")).isInstanceOfSatisfying(Recipient.Group.class,
                    g -> assertThat(g.members()).containsExactly(a("alice@example.test"), a("bob@example.test"),
                            a("erin@example.test"), a("carol@example.test"), a("info@example.test")));
            assertThat(resolve(d, "board@example.test")).isInstanceOfSatisfying(Recipient.Group.class,
                    g -> assertThat(g.allowedSenders()).contains(a("alice@example.test")));
            assertThat(resolve(d, "nobody@example.test")).isInstanceOf(Recipient.Unknown.class);
        }
    }

    @Test
    void domainsSendAsAndLogins() {
        assertThat(directory.isLocalDomain("example.test")).isEqualTo(Lookup.found(true));
        assertThat(directory.isLocalDomain("example.org")).isEqualTo(Lookup.found(true));
        assertThat(directory.isLocalDomain("example.net")).isEqualTo(Lookup.found(false));
        Login alice = directory.authenticate("alice@example.test", "alice-pw");
        assertThat(alice).isInstanceOf(Login.Succeeded.class);
        Login.Identity identity = ((Login.Succeeded) alice).identity();
        assertThat(directory.maySendAs(identity, a("alice@example.org"))).isEqualTo(Lookup.found(true));
        assertThat(directory.maySendAs(identity, a("info@example.test"))).isEqualTo(Lookup.found(true));
        assertThat(directory.maySendAs(identity, a("erin@example.test"))).isEqualTo(Lookup.found(false));
        assertThat(directory.authenticate("alice", "alice-pw")).isInstanceOf(Login.Succeeded.class);
        assertThat(directory.authenticate("alice", "wrong")).isEqualTo(new Login.Failed(Login.Reason.WRONG_PASSWORD));
        assertThat(directory.authenticate("alice", "")).isEqualTo(new Login.Failed(Login.Reason.EMPTY_PASSWORD));
        assertThat(directory.authenticate("ghost", "x")).isEqualTo(new Login.Failed(Login.Reason.UNKNOWN_USER));
        assertThat(directory.authenticate("dave", "dave-pw")).isEqualTo(new Login.Failed(Login.Reason.DISABLED));
    }

    @Test
    void hostileInputMatchesNothingAndNeverThrows() {
        for (String bad : DirectoryItSupport.HOSTILE) {
            MailAddress address = new MailAddress(bad, "example.test");
            assertThat(directory.resolve(address)).as(bad).isEqualTo(Lookup.found(new Recipient.Unknown(address)));
            assertThat(directory.authenticate(bad, "alice-pw")).as(bad).isInstanceOf(Login.Failed.class);
            assertThat(directory.isLocalDomain(bad)).as(bad).isEqualTo(Lookup.found(false));
        }
    }

    @Test
    void failsOverToTheSecondServerWhenTheFirstIsDownOrGoesDown() throws Exception {
        Path sample = DirectoryItSupport.repo("ldif/demo.ldif");
        try (Slapd first = Slapd.start(dir.resolve("f1"), sample); Slapd second = Slapd.start(dir.resolve("f2"), sample)) {
            String deadFirst = yaml(second).replace("urls: [", "urls: [ldap://127.0.0.1:" + Ports.free() + ", ");
            try (LdapDirectory d = DirectoryItSupport.connect(deadFirst)) {
                assertThat(resolve(d, "info@example.test")).isInstanceOf(Recipient.Alias.class);
                assertThat(d.authenticate("bob", "bob-pw")).isInstanceOf(Login.Succeeded.class);
            }
            try (LdapDirectory d = DirectoryItSupport.connect(yaml(first, second))) {
                assertThat(resolve(d, "team@example.test")).isInstanceOf(Recipient.Group.class);
                first.stop();
                long start = System.nanoTime();
                assertThat(resolve(d, "team@example.test")).isInstanceOf(Recipient.Group.class);
                assertThat(d.authenticate("alice", "alice-pw")).isInstanceOf(Login.Succeeded.class);
                assertThat(d.unhealthy()).isEmpty();
                assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(5));
                second.stop();
                assertThat(d.resolve(a("team@example.test"))).isInstanceOf(Lookup.TempFail.class);
                assertThat(d.authenticate("alice", "alice-pw")).isInstanceOf(Login.TempFail.class);
            }
        }
    }

    @Test
    void theDemoDataKeepsItsContract() throws Exception {
        try (Slapd demo = Slapd.start(dir.resolve("demo"), DirectoryItSupport.repo("ldif/demo.ldif"));
                LdapDirectory d = DirectoryItSupport.connect(yaml(demo))) {
            assertThat(resolve(d, "info@example.test"))
                    .isEqualTo(new Recipient.Alias(a("info@example.test"), List.of(a("alice@example.test"))));
            assertThat(resolve(d, "postmaster@example.test"))
                    .isEqualTo(new Recipient.Alias(a("postmaster@example.test"), List.of(a("alice@example.test"))));
            assertThat(resolve(d, "team@example.test")).isInstanceOfSatisfying(Recipient.Group.class,
                    g -> assertThat(g.members()).containsExactly(a("alice@example.test"), a("bob@example.test")));
            assertThat(d.authenticate("alice@example.test", "alice-pw")).isInstanceOf(Login.Succeeded.class);
            assertThat(d.authenticate("bob@example.test", "bob-pw")).isInstanceOf(Login.Succeeded.class);
        }
    }

    @Test
    void generatedDirectoryWithTwoThousandUsers() throws Exception {
        Path ldif = dir.resolve("generated.ldif");
        ExternalProcess.Result generated = ExternalProcess.run(dir, Duration.ofSeconds(60),
                List.of("python3", DirectoryItSupport.repo("ldif/generate.py").toString(), "2000"));
        assertThat(generated.exitCode()).isZero();
        Files.writeString(ldif, generated.output());
        try (Slapd big = Slapd.start(dir.resolve("big"), ldif)) {
            var registry = new io.micrometer.core.instrument.simple.SimpleMeterRegistry();
            var config = DirectoryItSupport.config(yaml(big) + "pageSize: 100\n");
            try (LdapDirectory d = LdapDirectory.connect(config.directory(), config.domains(), registry)) {
                assertThat(resolve(d, "u1234@example.test")).isInstanceOfSatisfying(Recipient.Mailbox.class,
                        m -> assertThat(m.address()).isEqualTo(a("user01234@example.test")));
                assertThat(resolve(d, "alias1230@example.test")).isInstanceOf(Recipient.Alias.class);
                double before = registry.get("postern.directory.ldap.round.trips").counter().count();
                long start = System.nanoTime();
                assertThat(resolve(d, "everyone@example.test")).isInstanceOfSatisfying(Recipient.Group.class,
                        g -> assertThat(g.members()).hasSize(2000));
                double trips = registry.get("postern.directory.ldap.round.trips").counter().count() - before;
                System.out.printf("directory-it: everyone@ (20 nested groups, 2000 members) expanded in %d ms"
                        + " with %.0f LDAP searches%n", (System.nanoTime() - start) / 1_000_000, trips);
                assertThat(trips).isLessThan(100);
                assertThat(d.authenticate("user01999", "user01999-pw")).isInstanceOf(Login.Succeeded.class);
            }
        }
    }
}
