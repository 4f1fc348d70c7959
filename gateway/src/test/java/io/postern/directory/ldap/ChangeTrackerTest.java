package io.postern.directory.ldap;

import static org.assertj.core.api.Assertions.assertThat;

import com.unboundid.ldap.sdk.Entry;
import com.unboundid.ldap.sdk.RootDSE;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.postern.config.CacheConfig;
import io.postern.config.ChangeTracking;
import io.postern.config.PosternConfig;
import io.postern.directory.Lookup;
import io.postern.directory.Recipient;
import io.postern.directory.cache.CachingDirectory;
import io.postern.mail.MailAddress;
import io.postern.testing.Await;
import java.time.Duration;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;

class ChangeTrackerTest {

    private static RootDSE root(String... controls) throws Exception {
        Entry entry = new Entry("");
        if (controls.length > 0) {
            entry.addAttribute("supportedControl", controls);
        }
        return new RootDSE(entry);
    }

    @Test
    void autoPicksTheBestMechanismTheRootDseOffers() throws Exception {
        assertThat(ChangeTracker.choose(ChangeTracking.AUTO, false, root(ChangeTracker.CONTENT_SYNC_OID)))
                .isEqualTo(ChangeTracking.SYNCREPL);
        assertThat(ChangeTracker.choose(ChangeTracking.AUTO, false,
                root(ChangeTracker.AD_DIRSYNC_OID, ChangeTracker.AD_NOTIFICATION_OID)))
                .isEqualTo(ChangeTracking.NOTIFICATION);
        assertThat(ChangeTracker.choose(ChangeTracking.AUTO, false, root())).isEqualTo(ChangeTracking.POLL);
        assertThat(ChangeTracker.choose(ChangeTracking.AUTO, false, null)).isEqualTo(ChangeTracking.POLL);
        assertThat(ChangeTracker.choose(ChangeTracking.AUTO, true, root(ChangeTracker.CONTENT_SYNC_OID)))
                .as("the server refused it once").isEqualTo(ChangeTracking.POLL);
        assertThat(ChangeTracker.choose(ChangeTracking.DIRSYNC, false, root())).isEqualTo(ChangeTracking.DIRSYNC);
        assertThat(ChangeTracker.choose(ChangeTracking.DIRSYNC, true, root())).as("refused: no replication right")
                .isEqualTo(ChangeTracking.POLL);
        assertThat(ChangeTracker.choose(ChangeTracking.OFF, true, root())).isEqualTo(ChangeTracking.OFF);
        assertThat(ChangeTracker.choose(ChangeTracking.SYNCREPL, false, root())).isEqualTo(ChangeTracking.SYNCREPL);
    }

    @Test
    void pollingSeesAddsModifiesAndDeletesOfAServerWithoutPush() throws Exception {
        try (InMemoryDirectory server = InMemoryDirectory.openldap("openldap/sample.ldif")) {
            PosternConfig config = server.openldapConfig("");
            CacheConfig cacheConfig = new CacheConfig(Duration.ofMinutes(10), Duration.ofMinutes(10),
                    Duration.ofMinutes(2), 1000, Duration.ZERO, Duration.ofHours(24), ChangeTracking.AUTO,
                    Duration.ofMillis(200), Duration.ofSeconds(1), Duration.ofSeconds(1));
            SimpleMeterRegistry registry = new SimpleMeterRegistry();
            try (LdapDirectory ldap = LdapDirectory.connect(config, registry);
                 CachingDirectory cache = CachingDirectory.wrap(ldap, cacheConfig, registry);
                 ChangeTracker tracker = ChangeTracker.start(ldap, cacheConfig, cache)) {
                await(() -> tracker.mode() == ChangeTracking.POLL
                        && registry.find("postern.directory.changes").tag("kind", "resync").counter() != null);
                MailAddress zoe = MailAddress.parse("zoe@example.test").orElseThrow();
                assertThat(cache.resolve(zoe)).isEqualTo(Lookup.found(new Recipient.Unknown(zoe)));
                server.server.add("dn: uid=zoe,ou=people,dc=example,dc=test", "objectClass: inetOrgPerson",
                        "uid: zoe", "cn: Zoe", "sn: Z", "mail: zoe@example.test");
                await(() -> cache.resolve(zoe) instanceof Lookup.Found<Recipient> f
                        && f.value() instanceof Recipient.Mailbox);
                server.server.delete("uid=zoe,ou=people,dc=example,dc=test");
                await(() -> cache.resolve(zoe) instanceof Lookup.Found<Recipient> f
                        && f.value() instanceof Recipient.Unknown);
                assertThat(registry.get("postern.directory.changes").tag("kind", "add").counter().count()).isEqualTo(1);
                assertThat(registry.get("postern.directory.changes").tag("kind", "delete").counter().count())
                        .isEqualTo(1);
            }
        }
    }

    /** The tracker polls every 200 ms on its own thread: wait for it (bounded, see {@link Await}). */
    private static void await(BooleanSupplier condition) {
        Await.until("the change tracker to see the change", condition);
    }
}
