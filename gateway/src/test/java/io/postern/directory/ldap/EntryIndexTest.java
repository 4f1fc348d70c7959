package io.postern.directory.ldap;

import static org.assertj.core.api.Assertions.assertThat;

import com.unboundid.ldap.sdk.Entry;
import io.postern.config.DirectoryConfig;
import io.postern.config.DirectoryProfile;
import io.postern.directory.DirectoryChange;
import io.postern.directory.DirectoryChangeListener;
import io.postern.mail.MailAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;

class EntryIndexTest {
    private final List<Object> published = new ArrayList<>();
    private final DirectoryChangeListener listener = new DirectoryChangeListener() {
        @Override
        public void changed(DirectoryChange change) {
            published.add(change);
        }

        @Override
        public void resynchronise() {
            published.add("resync");
        }

        @Override
        public void reachability(boolean reachable, String detail) {
        }
    };

    private static MailAddress a(String text) {
        return MailAddress.parse(text).orElseThrow();
    }

    private static Entry entry(String... lines) {
        try {
            return new Entry(lines);
        } catch (com.unboundid.ldif.LDIFException e) {
            throw new IllegalArgumentException(e);
        }
    }

    private EntryIndex index(DirectoryProfile profile) {
        return new EntryIndex(DirectoryConfig.defaultMapping(profile, "dc=example,dc=test"),
                List.of("entryCSN", "modifyTimestamp"), listener);
    }

    @Test
    void aChangeCarriesTheOldAddressesNoProtocolSends() {
        EntryIndex index = index(DirectoryProfile.OPENLDAP);
        Entry alice = entry("dn: uid=alice,ou=people,dc=example,dc=test", "objectClass: inetOrgPerson",
                "mail: alice@example.test", "posternAlternateAddress: a@example.test", "entryCSN: 1");
        index.listed(Map.of("u1", index.snapshot(alice)));
        assertThat(published).containsExactly("resync");
        published.clear();
        Entry renamed = entry("dn: uid=alice2,ou=people,dc=example,dc=test", "objectClass: inetOrgPerson",
                "mail: alice@example.test", "posternAlternateAddress: b@example.test", "entryCSN: 2");
        index.changed("u1", index.snapshot(renamed), false);
        assertThat(published).containsExactly(new DirectoryChange(DirectoryChange.Kind.RENAME,
                "uid=alice2,ou=people,dc=example,dc=test", "uid=alice,ou=people,dc=example,dc=test",
                Set.of(a("alice@example.test"), a("a@example.test")), Set.of(a("alice@example.test"), a("b@example.test")),
                Set.of(), false));
        published.clear();
        index.deleted("u1", Optional.empty());
        assertThat(published).containsExactly(new DirectoryChange(DirectoryChange.Kind.DELETE,
                "uid=alice2,ou=people,dc=example,dc=test", "uid=alice2,ou=people,dc=example,dc=test",
                Set.of(a("alice@example.test"), a("b@example.test")), Set.of(), Set.of(), false));
        published.clear();
        index.deleted("never-seen", Optional.empty());
        assertThat(published).containsExactly("resync");
    }

    @Test
    void aListingAfterAGapPublishesExactlyWhatWasMissed() {
        EntryIndex index = index(DirectoryProfile.OPENLDAP);
        Entry same = entry("dn: uid=bob,dc=example,dc=test", "objectClass: inetOrgPerson", "mail: bob@example.test",
                "entryCSN: 1");
        Entry before = entry("dn: uid=carol,dc=example,dc=test", "objectClass: inetOrgPerson", "mail: carol@example.test",
                "entryCSN: 1");
        Entry gone = entry("dn: uid=dave,dc=example,dc=test", "objectClass: inetOrgPerson", "mail: dave@example.test",
                "entryCSN: 1");
        index.listed(Map.of("b", index.snapshot(same), "c", index.snapshot(before), "d", index.snapshot(gone)));
        published.clear();
        Entry after = entry("dn: uid=carol,dc=example,dc=test", "objectClass: inetOrgPerson", "mail: carol@example.test",
                "userPassword: changed", "entryCSN: 2");
        Entry group = entry("dn: cn=team,dc=example,dc=test", "objectClass: groupOfNames", "mail: team@example.test",
                "entryCSN: 3");
        index.listed(Map.of("b", index.snapshot(same), "c", index.snapshot(after), "g", index.snapshot(group)));
        assertThat(published).containsExactlyInAnyOrder(
                DirectoryChange.of(DirectoryChange.Kind.MODIFY, "uid=carol,dc=example,dc=test",
                        Set.of(a("carol@example.test")), Set.of(a("carol@example.test"))),
                new DirectoryChange(DirectoryChange.Kind.ADD, "cn=team,dc=example,dc=test", "cn=team,dc=example,dc=test",
                        Set.of(), Set.of(a("team@example.test")), Set.of(), true),
                DirectoryChange.of(DirectoryChange.Kind.DELETE, "uid=dave,dc=example,dc=test",
                        Set.of(a("dave@example.test")), Set.of()));
    }

    @Test
    void aReconciliationPublishesDeletionsRenamesAndMovesOutNoPushReported() {
        EntryIndex index = index(DirectoryProfile.OPENLDAP);
        Entry keep = entry("dn: uid=bob,ou=p,dc=example,dc=test", "objectClass: inetOrgPerson", "mail: bob@example.test",
                "entryCSN: 1");
        Entry deleted = entry("dn: uid=dave,ou=p,dc=example,dc=test", "objectClass: inetOrgPerson",
                "mail: dave@example.test", "entryCSN: 1");
        Entry renamed = entry("dn: uid=erin,ou=p,dc=example,dc=test", "objectClass: inetOrgPerson",
                "mail: erin@example.test", "entryCSN: 1");
        Entry noMail = entry("dn: ou=p,dc=example,dc=test", "objectClass: organizationalUnit", "entryCSN: 1");
        Entry pushedDuring = entry("dn: uid=fay,ou=p,dc=example,dc=test", "objectClass: inetOrgPerson",
                "mail: fay@example.test", "entryCSN: 1");
        index.listed(Map.of("b", index.snapshot(keep), "d", index.snapshot(deleted), "e", index.snapshot(renamed),
                "ou", index.snapshot(noMail), "f", index.snapshot(pushedDuring)));
        published.clear();

        index.reconciliationStarted();
        // Push reports fay deleted while the listing (which still saw her) runs: the push wins.
        index.deleted("f", Optional.empty());
        published.clear();
        Entry renamedNow = entry("dn: uid=erin2,ou=p,dc=example,dc=test", "objectClass: inetOrgPerson",
                "mail: erin@example.test", "entryCSN: 2");
        int changes = index.reconciled(Map.of("b", index.snapshot(keep), "e", index.snapshot(renamedNow),
                "f", index.snapshot(pushedDuring)));

        assertThat(published).containsExactlyInAnyOrder(
                DirectoryChange.of(DirectoryChange.Kind.DELETE, "uid=dave,ou=p,dc=example,dc=test",
                        Set.of(a("dave@example.test")), Set.of()),
                new DirectoryChange(DirectoryChange.Kind.RENAME, "uid=erin2,ou=p,dc=example,dc=test",
                        "uid=erin,ou=p,dc=example,dc=test", Set.of(a("erin@example.test")),
                        Set.of(a("erin@example.test")), Set.of(), false));
        assertThat(changes).isEqualTo(2);
        // The OU has no address: a listing of mail-enabled entries never returns it, and that is no deletion.
        assertThat(index.knows("ou")).isTrue();
        assertThat(index.knows("f")).isFalse();
        published.clear();
        // Nothing changed since: a second reconciliation is silent.
        index.reconciliationStarted();
        assertThat(index.reconciled(Map.of("b", index.snapshot(keep), "e", index.snapshot(renamedNow)))).isZero();
        assertThat(published).isEmpty();
    }

    @Test
    void aTombstoneOfAnEntryTheIndexNeverHeldIsIgnoredAndANewIdIsAnAdd() {
        EntryIndex index = index(DirectoryProfile.OPENLDAP);
        index.listed(Map.of());
        published.clear();
        index.tombstone("a-computer-without-mail");
        assertThat(published).isEmpty();
        Entry newbie = entry("dn: uid=new,dc=example,dc=test", "objectClass: inetOrgPerson", "mail: new@example.test",
                "entryCSN: 1");
        index.changed("n", index.snapshot(newbie), !index.knows("n"));
        index.tombstone("n");
        assertThat(published).extracting(c -> ((DirectoryChange) c).kind())
                .containsExactly(DirectoryChange.Kind.ADD, DirectoryChange.Kind.DELETE);
    }

    @Test
    void activeDirectoryProxyAddressesAndDomains() {
        EntryIndex index = index(DirectoryProfile.ACTIVE_DIRECTORY);
        var snapshot = index.snapshot(entry("dn: CN=Alice,CN=Users,DC=ad,DC=example,DC=test", "objectClass: user",
                "mail: alice@example.test", "proxyAddresses: SMTP:alice.smith@example.test",
                "proxyAddresses: smtp:asmith@example.test", "proxyAddresses: X500:/o=Org/cn=alice"));
        assertThat(snapshot.addresses()).containsExactlyInAnyOrder(a("alice@example.test"),
                a("alice.smith@example.test"), a("asmith@example.test"));
        assertThat(snapshot.dn()).isEqualTo("cn=alice,cn=users,dc=ad,dc=example,dc=test");
        assertThat(index(DirectoryProfile.OPENLDAP).snapshot(entry("dn: posternDomainName=Example.ORG,dc=x",
                "objectClass: posternMailDomain", "posternDomainName: Example.ORG")).domains())
                .containsExactly("example.org");
    }
}
