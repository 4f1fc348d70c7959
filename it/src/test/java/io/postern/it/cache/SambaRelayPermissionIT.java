package io.postern.it.cache;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.postern.config.ChangeTracking;
import io.postern.config.ConfigLoader;
import io.postern.config.PosternConfig;
import io.postern.config.SecretResolver;
import io.postern.directory.Login;
import io.postern.directory.Lookup;
import io.postern.directory.SenderRights;
import io.postern.directory.cache.CachingDirectory;
import io.postern.directory.cache.DirectoryHealth;
import io.postern.directory.ldap.ChangeTracker;
import io.postern.directory.ldap.LdapDirectory;
import io.postern.it.servers.SambaDc;
import io.postern.mail.MailAddress;
import io.postern.smtp.inbound.policy.RelayQuestions;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The relay permission on a real Samba AD DC, read by an ORDINARY domain account: the group
 * "Mail Relay Users" lists the group "Relay Team", which lists alice. The in-chain rule (the
 * active-directory default) finds alice through the nesting; bob, in no group, may not relay.
 * bob added to the inner group may relay within a second of ldapmodify returning (AD change
 * notification on the group evicts the cached answers), and removed may not again within a
 * second. Run only under {@code flock /tmp/postern-samba.lock}.
 */
class SambaRelayPermissionIT {
    private static final String OU = "OU=Mail," + SambaDc.BASE_DN;
    private static final String RELAY_GROUP = "CN=Mail Relay Users," + OU;
    private static final String TEAM = "CN=Relay Team," + OU;

    @TempDir
    Path dir;

    @Test
    void nestedMembershipByInChainAndChangesWithinASecond() throws Exception {
        try (SambaDc ad = SambaDc.start(dir.resolve("samba"))) {
            ad.createUser("svc-relay", "Svc-Passw0rd1");
            ad.modify("""
                    dn: %1$s
                    changetype: add
                    objectClass: organizationalUnit

                    dn: CN=alice,%1$s
                    changetype: add
                    objectClass: user
                    sAMAccountName: alice
                    mail: alice@example.test
                    userAccountControl: 544

                    dn: CN=bob,%1$s
                    changetype: add
                    objectClass: user
                    sAMAccountName: bob
                    mail: bob@example.test
                    userAccountControl: 544

                    dn: %2$s
                    changetype: add
                    objectClass: group
                    sAMAccountName: relay-team
                    member: CN=alice,%1$s

                    dn: %3$s
                    changetype: add
                    objectClass: group
                    sAMAccountName: mail-relay-users
                    member: %2$s

                    """.formatted(OU, TEAM, RELAY_GROUP));
            PosternConfig config = new ConfigLoader(new SecretResolver(Map.of())).parse("""
                    listeners:
                      - { kind: mx, port: 2525 }
                    admin: { enabled: false }
                    domains: [example.test]
                    directory:
                      profile: active-directory
                      urls: [%s]
                      baseDn: '%s'
                      bindDn: svc-relay@%s
                      bindPassword: 'Svc-Passw0rd1'
                    cache:
                      ttl: { positive: 10m, negative: 10m }
                    relay:
                      permission: { group: '%s' }
                    """.formatted(ad.url(), OU, SambaDc.REALM, RELAY_GROUP), dir, "it.yaml");
            SimpleMeterRegistry registry = new SimpleMeterRegistry();
            try (LdapDirectory ldap = LdapDirectory.connect(config, registry);
                 CachingDirectory cache = CachingDirectory.wrap(ldap, config.cache(), registry);
                 ChangeTracker tracker = ChangeTracker.start(ldap, config.cache(), cache)) {
                await(() -> tracker.mode() == ChangeTracking.NOTIFICATION
                        && cache.health().state() == DirectoryHealth.State.UP && resyncs(registry) > 0);
                var question = RelayQuestions.rights(config.relay());
                Login.Identity alice = identity("alice");
                Login.Identity bob = identity("bob");
                assertThat(mayRelay(cache, alice, question)).as("alice, through Relay Team (in-chain)").isTrue();
                assertThat(mayRelay(cache, bob, question)).as("bob, in no group").isFalse();
                assertThat(mayRelay(cache, bob, question)).isFalse();

                ad.modify("""
                        dn: %s
                        changetype: modify
                        add: member
                        member: CN=bob,%s

                        """.formatted(TEAM, OU));
                long granted = millisUntil(() -> mayRelay(cache, bob, question));
                System.out.printf("Samba AD: relay permission granted %d ms after ldapmodify returned%n", granted);
                assertThat(granted).as("granted within a second").isLessThan(1000);

                ad.modify("""
                        dn: %s
                        changetype: modify
                        delete: member
                        member: CN=bob,%s

                        """.formatted(TEAM, OU));
                long revoked = millisUntil(() -> !mayRelay(cache, bob, question));
                System.out.printf("Samba AD: relay permission revoked %d ms after ldapmodify returned%n", revoked);
                assertThat(revoked).as("revoked within a second").isLessThan(1000);
                assertThat(mayRelay(cache, alice, question)).isTrue();
            }
        }
    }

    private static Login.Identity identity(String name) {
        return new Login.Identity(name, "CN=" + name + "," + OU, MailAddress.parse(name + "@example.test").orElseThrow());
    }

    private static boolean mayRelay(CachingDirectory cache, Login.Identity who,
                                    io.postern.directory.SenderRightsQuestion question) {
        return cache.senderRights(who, question) instanceof Lookup.Found<SenderRights>(SenderRights rights)
                && rights.mayRelay();
    }

    private static double resyncs(SimpleMeterRegistry registry) {
        Counter counter = registry.find("postern.directory.changes").tag("kind", "resync").counter();
        return counter == null ? 0 : counter.count();
    }

    private static void await(BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("condition not met within 30 s");
            }
            Thread.sleep(20);
        }
    }

    /** Milliseconds until {@code condition} holds, polled every 10 ms; 10 s (a failure) when it never does. */
    private static long millisUntil(BooleanSupplier condition) throws InterruptedException {
        long start = System.nanoTime();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() - start > Duration.ofSeconds(10).toNanos()) {
                return 10_000;
            }
            Thread.sleep(10);
        }
        return Duration.ofNanos(System.nanoTime() - start).toMillis();
    }
}
