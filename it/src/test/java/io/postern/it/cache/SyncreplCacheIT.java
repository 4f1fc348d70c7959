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
import io.postern.it.support.Ports;
import io.postern.mail.MailAddress;
import io.postern.testing.Await;
import io.postern.testing.LogCapture;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The directory cache against a real slapd with syncprov: a change made with ldapmodify is pushed
 * and answered within a second; with slapd killed, cached recipients still resolve and unknown
 * ones get a temporary failure, never "unknown"; with slapd back, Postern recovers by itself.
 */
class SyncreplCacheIT {
    @TempDir
    Path dir;

    private static MailAddress address(String text) {
        return MailAddress.parse(text).orElseThrow();
    }

    @Test
    void changesArePushedAndAnOutageNeverBouncesMail() throws Exception {
        int port = Ports.free();
        try (CacheSlapd slapd = CacheSlapd.start(dir.resolve("slapd"), port)) {
            PosternConfig config = new ConfigLoader(new SecretResolver(Map.of())).parse("""
                    listeners:
                      - { kind: mx, port: 2525 }
                    directory:
                      profile: openldap
                      urls: [%s]
                      baseDn: %s
                      bindDn: %s
                      bindPassword: %s
                      connectTimeout: 1s
                      responseTimeout: 2s
                    cache:
                      ttl: { positive: 3s, negative: 2s }
                      refreshAhead: 0s
                      reconnectMaxBackoff: 500ms
                    """.formatted(slapd.url(), CacheSlapd.BASE, CacheSlapd.ADMIN, CacheSlapd.PASSWORD), dir, "it.yaml");
            SimpleMeterRegistry registry = new SimpleMeterRegistry();
            // The tracker says in its log when a session's refresh is done and pushes follow.
            LogCapture trackerLog = LogCapture.of(ChangeTracker.class);
            try (LdapDirectory ldap = LdapDirectory.connect(config, registry);
                 CachingDirectory cache = CachingDirectory.wrap(ldap, config.cache(), registry);
                 ChangeTracker tracker = ChangeTracker.start(ldap, config.cache(), cache)) {
                Await.until("syncrepl tracking and the directory up", () -> tracker.mode() == ChangeTracking.SYNCREPL
                        && cache.health().state() == DirectoryHealth.State.UP);
                // The initial refresh resynchronises the (empty) cache once: let it, before caching anything.
                Await.until("the initial resynchronisation", () -> resyncs(registry) >= 1);

                MailAddress newbie = address("newbie@example.test");
                assertThat(cache.resolve(newbie)).isEqualTo(Lookup.found(new Recipient.Unknown(newbie)));
                assertThat(cache.resolve(address("alice@example.test")))
                        .matches(l -> l instanceof Lookup.Found<Recipient> f && f.value() instanceof Recipient.Mailbox);

                // A new mailbox: the negative answer is cached for 2 s, the push must beat it.
                slapd.modify("""
                        dn: uid=newbie,ou=people,dc=example,dc=test
                        changetype: add
                        objectClass: inetOrgPerson
                        objectClass: posternMailRecipient
                        uid: newbie
                        cn: New Bie
                        sn: Bie
                        mail: newbie@example.test
                        userPassword: newbie-pw
                        """);
                long addDelay = millisUntil(() -> cache.resolve(newbie) instanceof Lookup.Found<Recipient> f
                        && f.value() instanceof Recipient.Mailbox);
                // A new alternate address on an existing entry.
                slapd.modify("""
                        dn: uid=erin,ou=people,dc=example,dc=test
                        changetype: modify
                        add: objectClass
                        objectClass: posternMailRecipient
                        -
                        add: posternAlternateAddress
                        posternAlternateAddress: erin.alt@example.test
                        """);
                long modifyDelay = millisUntil(() -> cache.resolve(address("erin.alt@example.test"))
                        instanceof Lookup.Found<Recipient> f && f.value() instanceof Recipient.Mailbox);
                System.out.printf("push delay after ldapmodify returned: add %d ms, modify %d ms%n", addDelay,
                        modifyDelay);
                assertThat(addDelay).isLessThan(1000);
                assertThat(modifyDelay).isLessThan(1000);

                // A password change takes effect at once, although the login is remembered for minutes.
                assertThat(cache.authenticate("alice", "alice-pw")).isInstanceOf(io.postern.directory.Login.Succeeded.class);
                assertThat(cache.authenticate("alice", "alice-pw")).isInstanceOf(io.postern.directory.Login.Succeeded.class);
                slapd.modify("""
                        dn: uid=alice,ou=people,dc=example,dc=test
                        changetype: modify
                        replace: userPassword
                        userPassword: alice-new-pw
                        """);
                long passwordDelay = millisUntil(() -> cache.authenticate("alice", "alice-pw")
                        instanceof io.postern.directory.Login.Failed);
                assertThat(cache.authenticate("alice", "alice-new-pw")).isInstanceOf(io.postern.directory.Login.Succeeded.class);
                System.out.printf("old password refused %d ms after ldapmodify returned%n", passwordDelay);
                assertThat(passwordDelay).isLessThan(1000);

                // The push search outlives the response timeout (2 s): no reconnection while idle.
                Thread.sleep(2500);
                assertThat(tracker.sessions()).as("tracking sessions").isEqualTo(1);
                assertThat(registry.find("postern.directory.changes").tag("kind", "modify").counter().count())
                        .as("only the changes made: erin, alice's password").isEqualTo(2);

                // Steady state: LDAP searches per answered question, counted by the adapter.
                java.util.List<MailAddress> hot = new java.util.ArrayList<>();
                for (String user : new String[] {"alice", "bob", "carol", "dave", "erin", "info", "sales", "team"}) {
                    hot.add(address(user + "@example.test"));
                }
                for (int i = 0; hot.size() < 20; i++) {
                    hot.add(address("nobody" + i + "@example.test"));
                }
                hot.forEach(cache::resolve);
                double searchesBefore = registry.get("postern.directory.ldap.round.trips").counter().count();
                long slapdBefore = slapd.searches();
                for (int i = 0; i < 1000; i++) {
                    assertThat(cache.resolve(hot.get(i % hot.size()))).isInstanceOf(Lookup.Found.class);
                }
                double perResolve = (registry.get("postern.directory.ldap.round.trips").counter().count()
                        - searchesBefore) / 1000;
                // slapd logs asynchronously: every search the adapter made reaches the log, wait for them.
                long adapterSearches = Math.round(perResolve * 1000);
                Await.untilNoException("slapd to log the adapter's " + adapterSearches + " searches",
                        () -> slapd.searches() - slapdBefore >= adapterSearches);
                double slapdPerResolve = (slapd.searches() - slapdBefore) / 1000.0;
                System.out.printf("LDAP searches per resolve at steady state: %.4f (adapter), %.4f (slapd log)%n",
                        perResolve, slapdPerResolve);
                assertThat(perResolve).isLessThanOrEqualTo(0.01);
                assertThat(slapdPerResolve).isLessThanOrEqualTo(0.01);
                assertThat(slapd.searches()).as("the slapd count works").isGreaterThan(20);

                // Outage: every server gone. What is served stale is what was cached just before: a
                // tracker reconnect under load resynchronises the cache (every answer asked again), so warm it here.
                assertThat(cache.resolve(address("alice@example.test"))).isInstanceOf(Lookup.Found.class);
                assertThat(cache.resolve(newbie)).matches(l -> l instanceof Lookup.Found<Recipient> f
                        && f.value() instanceof Recipient.Mailbox, "newbie is a mailbox");
                slapd.kill();
                Await.until("the directory seen down", () -> cache.health().state() == DirectoryHealth.State.DOWN);
                Thread.sleep(3100); // every cached answer is now past its TTL
                for (int i = 0; i < 20; i++) {
                    assertThat(cache.resolve(address("alice@example.test"))).as("cached: served stale")
                            .matches(l -> l instanceof Lookup.Found<Recipient> f && f.value() instanceof Recipient.Mailbox);
                    assertThat(cache.resolve(newbie)).matches(l -> l instanceof Lookup.Found<Recipient>);
                    assertThat(cache.resolve(address("stranger" + i + "@example.test"))).as("never cached")
                            .isInstanceOf(Lookup.TempFail.class);
                }
                assertThat(cache.readiness().check().ready()).as("down but warm").isTrue();
                assertThat(registry.get("postern.directory.up").gauge().value()).isZero();
                assertThat(registry.get("postern.directory.cache.requests").tag("question", "resolve")
                        .tag("result", "stale").counter().count()).isGreaterThan(0);

                // Recovery without restarting anything.
                long restarted = System.nanoTime();
                slapd.start();
                Await.until("recovery: syncrepl, up, answering", () -> tracker.mode() == ChangeTracking.SYNCREPL
                        && cache.health().state() == DirectoryHealth.State.UP
                        && cache.resolve(address("stranger0@example.test")) instanceof Lookup.Found<Recipient>);
                System.out.printf("recovered %d ms after slapd was started again%n",
                        Duration.ofNanos(System.nanoTime() - restarted).toMillis());
                // A change made during the reconnected session's refresh would arrive with the refresh,
                // not as a push: change only once that refresh is done.
                Await.until("the second syncrepl session's refresh done",
                        () -> trackingReady(trackerLog) >= 2);
                slapd.modify("""
                        dn: uid=newbie,ou=people,dc=example,dc=test
                        changetype: delete
                        """);
                long deleteDelay = millisUntil(() -> cache.resolve(newbie) instanceof Lookup.Found<Recipient> f
                        && f.value() instanceof Recipient.Unknown);
                System.out.printf("push delay after reconnection: delete %d ms%n", deleteDelay);
                assertThat(deleteDelay).isLessThan(1000);
            } finally {
                trackerLog.close();
            }
        }
    }

    private static long trackingReady(LogCapture log) {
        return log.events("directory-tracking-ready").stream().filter(l -> l.contains(" mode=syncrepl ")).count();
    }

    private static double resyncs(SimpleMeterRegistry registry) {
        var counter = registry.find("postern.directory.changes").tag("kind", "resync").counter();
        return counter == null ? 0 : counter.count();
    }

    /** Milliseconds until {@code condition} holds, polled every 5 ms, at most 5 s. */
    private static long millisUntil(java.util.function.BooleanSupplier condition) throws InterruptedException {
        long start = System.nanoTime();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() - start > Duration.ofSeconds(5).toNanos()) {
                return 5000;
            }
            Thread.sleep(5);
        }
        return Duration.ofNanos(System.nanoTime() - start).toMillis();
    }

}
