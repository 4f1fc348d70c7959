package io.postern.directory.ldap;

import static org.assertj.core.api.Assertions.assertThat;

import com.unboundid.ldap.listener.InMemoryDirectoryServerSnapshot;
import io.postern.config.PosternConfig;
import io.postern.directory.Login;
import io.postern.directory.Lookup;
import io.postern.directory.Recipient;
import io.postern.mail.MailAddress;
import java.util.List;
import java.util.OptionalLong;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Every question of the openldap profile against ldif/openldap/sample.ldif in the in-memory server. */
class LdapDirectoryOpenLdapTest {
    static InMemoryDirectory ldap;
    static LdapDirectory directory;
    static InMemoryDirectoryServerSnapshot snapshot;

    @BeforeAll
    static void start() throws Exception {
        ldap = InMemoryDirectory.openldap("openldap/sample.ldif");
        snapshot = ldap.server.createSnapshot();
        directory = connect("");
    }

    @AfterAll
    static void stop() {
        directory.close();
        ldap.close();
    }

    @AfterEach
    void restore() {
        ldap.server.restoreSnapshot(snapshot);
    }

    static LdapDirectory connect(String extra) throws Exception {
        PosternConfig config = ldap.openldapConfig(extra);
        return LdapDirectory.connect(config.directory(), config.domains());
    }

    static Recipient resolve(LdapDirectory dir, String address) {
        Lookup<Recipient> answer = dir.resolve(MailAddress.parse(address).orElseThrow());
        assertThat(answer).as(address).isInstanceOf(Lookup.Found.class);
        return ((Lookup.Found<Recipient>) answer).value();
    }

    static MailAddress a(String text) {
        return MailAddress.parse(text).orElseThrow();
    }

    @Test
    void mailboxWithQuotaAndSpoolOverride() {
        Recipient r = resolve(directory, "alice@example.test");
        assertThat(r).isEqualTo(new Recipient.Mailbox(a("alice@example.test"), "uid=alice,ou=people,dc=example,dc=test",
                java.util.Optional.of("example.test/alice-archive"), OptionalLong.of(1073741824L), false));
    }

    @Test
    void theHomeServerAttributeIsReadWhenMapped() throws Exception {
        // Any attribute of the entry may hold it; "l" exists in every schema the in-memory server knows.
        ldap.server.modify("uid=alice,ou=people,dc=example,dc=test",
                new com.unboundid.ldap.sdk.Modification(com.unboundid.ldap.sdk.ModificationType.ADD, "l",
                        " smtp:[mail2.example.test]:25 "));
        assertThat(resolve(directory, "alice@example.test")).isInstanceOfSatisfying(Recipient.Mailbox.class,
                m -> assertThat(m.homeServer()).isEmpty());
        try (LdapDirectory mapped = connect("attributes: { homeServer: l }\n")) {
            assertThat(resolve(mapped, "alice@example.test")).isInstanceOfSatisfying(Recipient.Mailbox.class,
                    m -> assertThat(m.homeServer()).contains("smtp:[mail2.example.test]:25"));
        }
    }

    @Test
    void alternateAddressesReachTheSameMailboxWhateverTheCase() {
        assertThat(resolve(directory, "A.Example@EXAMPLE.test")).isInstanceOfSatisfying(Recipient.Mailbox.class,
                m -> assertThat(m.address()).isEqualTo(a("alice@example.test")));
        assertThat(resolve(directory, "alice@example.org")).isInstanceOf(Recipient.Mailbox.class);
    }

    @Test
    void aliasEntriesForwardToTheirTargets() {
        assertThat(resolve(directory, "info@example.test"))
                .isEqualTo(new Recipient.Alias(a("info@example.test"), List.of(a("alice@example.test"))));
        assertThat(resolve(directory, "sales@example.test")).isInstanceOfSatisfying(Recipient.Alias.class,
                al -> assertThat(al.targets()).containsExactly(a("alice@example.test"), a("partner@elsewhere.test")));
    }

    @Test
    void groupsExpandNestedGroupsOnceAndSkipMembersWithoutMail() {
        assertThat(resolve(directory, "team@example.test")).isInstanceOfSatisfying(Recipient.Group.class, g -> {
            assertThat(g.members()).containsExactly(a("alice@example.test"), a("bob@example.test"));
            assertThat(g.allowedSenders()).isEmpty();
        });
        // all -> team (alice, bob), staff (erin, all again: a loop), carol, nomail (no address), info (an alias)
        assertThat(resolve(directory, "all@example.test")).isInstanceOfSatisfying(Recipient.Group.class,
                g -> assertThat(g.members()).containsExactly(a("alice@example.test"), a("bob@example.test"),
                        a("erin@example.test"), a("carol@example.test"), a("info@example.test")));
        assertThat(resolve(directory, "board@example.test")).isInstanceOfSatisfying(Recipient.Group.class,
                g -> assertThat(g.allowedSenders()).containsExactly(a("alice@example.test"), a("ceo@elsewhere.test")));
    }

    @Test
    void forwardingWithAndWithoutACopy() {
        assertThat(resolve(directory, "bob@example.test")).isInstanceOfSatisfying(Recipient.Forward.class, f -> {
            assertThat(f.keepCopy()).isTrue();
            assertThat(f.targets()).containsExactly(a("bob@elsewhere.test"));
            assertThat(f.mailbox().address()).isEqualTo(a("bob@example.test"));
        });
        assertThat(resolve(directory, "carol@example.test")).isInstanceOfSatisfying(Recipient.Forward.class, f -> {
            assertThat(f.keepCopy()).isFalse();
            assertThat(f.targets()).hasSize(2);
        });
    }

    @Test
    void disabledAccountIsAMailboxMarkedDisabled() {
        assertThat(resolve(directory, "dave@example.test")).isInstanceOfSatisfying(Recipient.Mailbox.class,
                m -> assertThat(m.disabled()).isTrue());
    }

    @Test
    void subaddressesReachTheBaseMailboxUnlessSwitchedOff() throws Exception {
        assertThat(resolve(directory, "alice+lists@example.test")).isInstanceOfSatisfying(Recipient.Mailbox.class,
                m -> assertThat(m.address()).isEqualTo(a("alice@example.test")));
        assertThat(resolve(directory, "team+x@example.test")).isInstanceOf(Recipient.Group.class);
        try (LdapDirectory off = connect("subaddress: { enabled: false }")) {
            assertThat(resolve(off, "alice+lists@example.test")).isInstanceOf(Recipient.Unknown.class);
        }
        try (LdapDirectory dash = connect("subaddress: { separators: \"-+\" }")) {
            assertThat(resolve(dash, "alice-lists@example.test")).isInstanceOf(Recipient.Mailbox.class);
            assertThat(resolve(dash, "alice+lists@example.test")).isInstanceOf(Recipient.Mailbox.class);
        }
    }

    @Test
    void unknownAddressesAreUnknown() {
        assertThat(resolve(directory, "nobody@example.test")).isEqualTo(new Recipient.Unknown(a("nobody@example.test")));
        assertThat(resolve(directory, "alice@other.test")).isInstanceOf(Recipient.Unknown.class);
    }

    @Test
    void localDomainsFromConfigurationAndOptionallyFromTheDirectory() throws Exception {
        assertThat(directory.isLocalDomain("EXAMPLE.test")).isEqualTo(Lookup.found(true));
        assertThat(directory.isLocalDomain("example.org")).isEqualTo(Lookup.found(false));
        try (LdapDirectory fromDirectory = connect("domainsFromDirectory: true")) {
            assertThat(fromDirectory.isLocalDomain("example.org")).isEqualTo(Lookup.found(true));
            assertThat(fromDirectory.isLocalDomain("other.test")).isEqualTo(Lookup.found(false));
            assertThat(fromDirectory.isLocalDomain("*")).isEqualTo(Lookup.found(false));
        }
    }

    @Test
    void maySendAsOwnAddressesSubaddressesAndAliasesPointingAtThem() {
        Login.Identity alice = new Login.Identity("alice", "uid=alice,ou=people,dc=example,dc=test", a("alice@example.test"));
        assertThat(directory.maySendAs(alice, a("alice@example.test"))).isEqualTo(Lookup.found(true));
        assertThat(directory.maySendAs(alice, a("alice+x@example.test"))).isEqualTo(Lookup.found(true));
        assertThat(directory.maySendAs(alice, a("a.example@example.test"))).isEqualTo(Lookup.found(true));
        assertThat(directory.maySendAs(alice, a("info@example.test"))).isEqualTo(Lookup.found(true));
        assertThat(directory.maySendAs(alice, a("bob@example.test"))).isEqualTo(Lookup.found(false));
        assertThat(directory.maySendAs(alice, a("team@example.test"))).isEqualTo(Lookup.found(false));
        assertThat(directory.maySendAs(alice, a("*@example.test"))).isEqualTo(Lookup.found(false));
    }

    @Test
    void loginsByUidMailAndAlternateAddress() {
        for (String login : List.of("alice", "alice@example.test", "ALICE@example.test", "a.example@example.test")) {
            assertThat(directory.authenticate(login, "alice-pw")).as(login).isInstanceOfSatisfying(Login.Succeeded.class,
                    s -> assertThat(s.identity().primaryAddress()).isEqualTo(a("alice@example.test")));
        }
    }

    @Test
    void loginFailuresCarryTheOperatorsReason() {
        assertThat(directory.authenticate("alice", "wrong")).isEqualTo(new Login.Failed(Login.Reason.WRONG_PASSWORD));
        assertThat(directory.authenticate("nobody", "x")).isEqualTo(new Login.Failed(Login.Reason.UNKNOWN_USER));
        assertThat(directory.authenticate("alice", "")).isEqualTo(new Login.Failed(Login.Reason.EMPTY_PASSWORD));
        assertThat(directory.authenticate("dave", "dave-pw")).isEqualTo(new Login.Failed(Login.Reason.DISABLED));
        assertThat(directory.authenticate("nomail", "nomail-pw")).isEqualTo(new Login.Failed(Login.Reason.UNKNOWN_USER));
        assertThat(directory.authenticate("info@example.test", "x")).isEqualTo(new Login.Failed(Login.Reason.UNKNOWN_USER));
        assertThat(directory.authenticate("a".repeat(400), "x")).isEqualTo(new Login.Failed(Login.Reason.INVALID_LOGIN));
        assertThat(directory.authenticate("alice", "x".repeat(2000))).isEqualTo(new Login.Failed(Login.Reason.INVALID_LOGIN));
    }

    @Test
    void twoEntriesWithOneAddressAreATemporaryFailureNotAGuess() throws Exception {
        ldap.server.add("dn: uid=alice2,ou=people,dc=example,dc=test", "objectClass: inetOrgPerson", "uid: alice2",
                "cn: Alice Two", "sn: Two", "mail: alice@example.test");
        assertThat(directory.resolve(a("alice@example.test"))).isInstanceOf(Lookup.TempFail.class);
        assertThat(directory.authenticate("alice@example.test", "alice-pw"))
                .isEqualTo(new Login.Failed(Login.Reason.INVALID_LOGIN));
    }

    @Test
    void groupLimitsAreTemporaryFailuresNotShortLists() throws Exception {
        try (LdapDirectory shallow = connect("groups: { maxDepth: 1 }")) {
            assertThat(shallow.resolve(a("all@example.test"))).isInstanceOf(Lookup.TempFail.class);
            assertThat(resolve(shallow, "team@example.test")).isInstanceOf(Recipient.Group.class);
        }
        try (LdapDirectory small = connect("groups: { maxMembers: 2 }")) {
            assertThat(small.resolve(a("all@example.test"))).isInstanceOf(Lookup.TempFail.class);
            assertThat(resolve(small, "team@example.test")).isInstanceOf(Recipient.Group.class);
        }
    }

    @Test
    void traceShowsFiltersEntriesAndTheExpansionTree() {
        DirectoryTrace trace = DirectoryTrace.recording();
        directory.resolve(a("all@example.test"), trace);
        String text = String.join("\n", trace.lines());
        assertThat(text).contains("(mail=all@example.test)").contains("group cn=team,ou=groups,dc=example,dc=test")
                .contains("already expanded").contains("no mail address, skipped").contains("decision: group");
        var expansion = new io.postern.routing.RecipientExpander(directory.traced(DirectoryTrace.recording()), 10, 1000)
                .expand(a("all@example.test"), java.util.Optional.empty());
        assertThat(expansion.local()).extracting(t -> t.mailbox().address().toString())
                .contains("alice@example.test", "erin@example.test", "bob@example.test");
        assertThat(expansion.remote()).extracting(Object::toString)
                .contains("bob@elsewhere.test", "carol@elsewhere.test");
    }

    @Test
    void pagedSearchesFetchEveryPage() throws Exception {
        Searcher searcher = new Searcher(ldap.server, 3, 2000, () -> { });
        DirectoryTrace trace = DirectoryTrace.recording();
        var entries = searcher.paged(trace, "dc=example,dc=test",
                com.unboundid.ldap.sdk.Filter.createPresenceFilter("objectClass"), "1.1");
        assertThat(entries).hasSize(ldap.server.countEntries());
        assertThat(trace.lines().get(0)).contains("pages)");
        assertThat(trace.lines().get(0)).doesNotContain("(paged, 1 page)");
    }

    @Test
    void membersAreReadInBatchesThroughEntryDn() throws Exception {
        double[] trips = new double[2];
        List<Recipient> answers = new java.util.ArrayList<>();
        String[] settings = {"", "groups: { dnAttribute: \"\" }"};
        for (int i = 0; i < 2; i++) {
            var registry = new io.micrometer.core.instrument.simple.SimpleMeterRegistry();
            PosternConfig config = ldap.openldapConfig(settings[i]);
            try (LdapDirectory d = LdapDirectory.connect(config.directory(), config.domains(), registry)) {
                answers.add(resolve(d, "all@example.test"));
                trips[i] = registry.get("postern.directory.ldap.round.trips").counter().count();
            }
        }
        assertThat(answers.get(0)).isEqualTo(answers.get(1));
        assertThat(trips[0]).as("batched").isLessThan(trips[1]);
    }
}
