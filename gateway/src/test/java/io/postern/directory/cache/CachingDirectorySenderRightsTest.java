package io.postern.directory.cache;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.postern.config.CacheConfig;
import io.postern.config.ChangeTracking;
import io.postern.config.Cidr;
import io.postern.directory.DirectoryChange;
import io.postern.directory.Login;
import io.postern.directory.Lookup;
import io.postern.directory.NetworkSource;
import io.postern.directory.SenderRights;
import io.postern.directory.SenderRightsQuestion;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Sender rights and trusted networks through the cache: answered once, evicted by exactly the changes that matter. */
class CachingDirectorySenderRightsTest {
    private static final String ALICE_DN = "uid=alice,ou=people,dc=example,dc=test";
    private static final String GROUP_DN = "cn=mail relay users,ou=groups,dc=example,dc=test";
    private static final String CONFIG_DN = "cn=postern,ou=config,dc=example,dc=test";
    private static final SenderRightsQuestion QUESTION = new SenderRightsQuestion(Optional.of(GROUP_DN),
            SenderRightsQuestion.Membership.AUTO, Optional.empty(), Optional.empty(), Optional.empty(), Optional.empty());
    private static final NetworkSource NETWORKS = new NetworkSource(CONFIG_DN, "posternTrustedNetwork");

    private final CountingDirectory ldap = new CountingDirectory();
    private final FakeTicker ticker = new FakeTicker();
    private final CachingDirectory cache = CachingDirectory.wrap(ldap, new CacheConfig(Duration.ofMinutes(10),
            Duration.ofMinutes(1), Duration.ofMinutes(2), 1000, Duration.ZERO, Duration.ofHours(24), ChangeTracking.OFF,
            Duration.ofSeconds(30), Duration.ofSeconds(30), Duration.ZERO), new SimpleMeterRegistry(), ticker, Runnable::run);
    private final Login.Identity alice = new Login.Identity("alice", ALICE_DN, CountingDirectory.address("alice@example.test"));

    private boolean mayRelay() {
        return ((Lookup.Found<SenderRights>) cache.senderRights(alice, QUESTION)).value().mayRelay();
    }

    private static DirectoryChange change(String dn, boolean group) {
        return new DirectoryChange(DirectoryChange.Kind.MODIFY, dn, dn, Set.of(), Set.of(), Set.of(), group);
    }

    @Test
    void answeredOnceThenFromMemory() {
        assertThat(mayRelay()).isFalse();
        assertThat(mayRelay()).isFalse();
        assertThat(ldap.roundTrips.get()).isEqualTo(1);
    }

    @Test
    void aChangeOfAnyGroupEvictsEveryAnswerSoNestedMembershipIsSeenAtOnce() {
        assertThat(mayRelay()).isFalse();
        ldap.relayers.add(ALICE_DN);
        assertThat(mayRelay()).as("cached until a change says otherwise").isFalse();
        // An inner group of the relay group changed: membership may have changed for anyone.
        cache.changed(change("cn=inner,ou=groups,dc=example,dc=test", true));
        assertThat(mayRelay()).isTrue();
        ldap.relayers.remove(ALICE_DN);
        cache.changed(change(GROUP_DN, true));
        assertThat(mayRelay()).isFalse();
    }

    @Test
    void aChangeOfTheUsersOwnEntryEvictsTheirAnswerOthersDoNot() {
        assertThat(mayRelay()).isFalse();
        ldap.relayers.add(ALICE_DN);
        cache.changed(change("uid=bob,ou=people,dc=example,dc=test", false));
        assertThat(mayRelay()).as("someone else's entry").isFalse();
        cache.changed(change("UID=Alice, ou=people,dc=example,dc=test", false));
        assertThat(mayRelay()).isTrue();
    }

    @Test
    void noQuestionConfiguredMeansNoRoundTrip() {
        assertThat(cache.senderRights(alice, SenderRightsQuestion.NONE)).isEqualTo(Lookup.found(SenderRights.UNRESTRICTED));
        assertThat(ldap.roundTrips.get()).isZero();
    }

    @Test
    void trustedNetworksAreCachedAndEvictedByTheirEntry() {
        Cidr net = Cidr.parse("10.9.0.0/16").value();
        assertThat(cache.trustedNetworks(NETWORKS)).isEqualTo(Lookup.found(List.of()));
        ldap.networks.put(CONFIG_DN, List.of(net));
        cache.changed(change(ALICE_DN, false));
        assertThat(cache.trustedNetworks(NETWORKS)).as("another entry changed").isEqualTo(Lookup.found(List.of()));
        cache.changed(change(CONFIG_DN, false));
        assertThat(cache.trustedNetworks(NETWORKS)).isEqualTo(Lookup.found(List.of(net)));
        assertThat(ldap.roundTrips.get()).isEqualTo(2);
    }

    @Test
    void aResyncForgetsRights() {
        assertThat(mayRelay()).isFalse();
        ldap.relayers.add(ALICE_DN);
        cache.resynchronise();
        assertThat(mayRelay()).isTrue();
    }
}
