package io.postern.it.cache;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.postern.config.ChangeTracking;
import io.postern.config.ConfigLoader;
import io.postern.config.PosternConfig;
import io.postern.config.SecretResolver;
import io.postern.directory.Lookup;
import io.postern.directory.Recipient;
import io.postern.directory.cache.CachingDirectory;
import io.postern.directory.cache.DirectoryHealth;
import io.postern.directory.ldap.ChangeTracker;
import io.postern.directory.ldap.LdapDirectory;
import io.postern.mail.MailAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The directory cache against a real Samba AD DC: the change path it offers (change
 * notification, picked from the rootDSE) makes a new user deliverable and a disabled user stop
 * receiving, both well within a second of ldapmodify returning, while negative and positive
 * answers are cached for minutes.
 */
class SambaCacheIT {
    @TempDir
    Path dir;

    private static MailAddress address(String text) {
        return MailAddress.parse(text).orElseThrow();
    }

    @Test
    void aNewUserBecomesDeliverableAndADisabledUserStopsReceiving() throws Exception {
        try (CacheSambaDc dc = CacheSambaDc.start(dir.resolve("dc"))) {
            // auto picks change notification from the rootDSE; poll is the uSNChanged path; dirsync as configured.
            exercise(dc, "auto", "pushed", ChangeTracking.NOTIFICATION);
            exercise(dc, "poll", "polled", ChangeTracking.POLL);
            exercise(dc, "dirsync", "synced", ChangeTracking.DIRSYNC);
        }
    }

    private void exercise(CacheSambaDc dc, String tracking, String user, ChangeTracking expected) throws Exception {
        PosternConfig config = new ConfigLoader(new SecretResolver(Map.of())).parse("""
                listeners:
                  - { kind: mx, port: 2525 }
                domains: [example.test]
                directory:
                  profile: active-directory
                  urls: [%s]
                  baseDn: %s
                  bindDn: %s
                  bindPassword: '%s'
                cache:
                  ttl: { positive: 10m, negative: 10m }
                  changeTracking: %s
                  pollInterval: 1s
                """.formatted(CacheSambaDc.url(), CacheSambaDc.BASE, CacheSambaDc.ADMIN, CacheSambaDc.PASSWORD,
                tracking), dir, "it.yaml");
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        try (LdapDirectory ldap = LdapDirectory.connect(config, registry);
             CachingDirectory cache = CachingDirectory.wrap(ldap, config.cache(), registry);
             ChangeTracker tracker = ChangeTracker.start(ldap, config.cache(), cache)) {
            await(Duration.ofSeconds(20), () -> tracker.mode() != ChangeTracking.OFF
                    && cache.health().state() == DirectoryHealth.State.UP
                    && registry.find("postern.directory.changes").tag("kind", "resync").counter() != null);
            assertThat(tracker.mode()).isEqualTo(expected);

            MailAddress newbie = address(user + ".newbie@example.test");
            assertThat(cache.resolve(newbie)).isEqualTo(Lookup.found(new Recipient.Unknown(newbie)));
            dc.modify("""
                    dn: CN=%1$s Newbie,CN=Users,DC=ad,DC=example,DC=test
                    changetype: add
                    objectClass: user
                    sAMAccountName: %1$snewbie
                    userPrincipalName: %1$snewbie@ad.example.test
                    mail: %1$s.newbie@example.test
                    proxyAddresses: SMTP:%1$s.newbie@example.test
                    proxyAddresses: smtp:%1$s.alias@example.test
                    userAccountControl: 544
                    """.formatted(user));
            long added = millisUntil(() -> cache.resolve(newbie) instanceof Lookup.Found<Recipient> f
                    && f.value() instanceof Recipient.Mailbox m && !m.disabled());
            assertThat(cache.resolve(address(user + ".alias@example.test")))
                    .matches(l -> l instanceof Lookup.Found<Recipient> f && f.value() instanceof Recipient.Mailbox);

            dc.modify("""
                    dn: CN=%s Newbie,CN=Users,DC=ad,DC=example,DC=test
                    changetype: modify
                    replace: userAccountControl
                    userAccountControl: 546
                    """.formatted(user));
            long disabled = millisUntil(() -> cache.resolve(newbie) instanceof Lookup.Found<Recipient> f
                    && f.value() instanceof Recipient.Mailbox m && m.disabled());
            System.out.printf("Samba AD (%s): new user answered %d ms, disabled user %d ms after ldapmodify%n",
                    tracker.mode(), added, disabled);
            long bound = expected == ChangeTracking.NOTIFICATION ? 1000
                    : config.cache().pollInterval().toMillis() + 1000;
            assertThat(added).isLessThan(bound);
            assertThat(disabled).isLessThan(bound);
        }
    }

    private static void await(Duration timeout, BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("condition not met within " + timeout);
            }
            Thread.sleep(20);
        }
    }

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
