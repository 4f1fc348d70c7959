package io.postern.directory.cache;

import static io.postern.directory.cache.CountingDirectory.address;
import static io.postern.directory.cache.CountingDirectory.mailbox;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.postern.config.CacheConfig;
import io.postern.config.ChangeTracking;
import io.postern.directory.DirectoryChange;
import io.postern.directory.Login;
import io.postern.directory.Lookup;
import io.postern.directory.Recipient;
import io.postern.mail.MailAddress;
import io.postern.testing.Await;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executor;
import org.junit.jupiter.api.Test;

class CachingDirectoryTest {
    private static final String ALICE_DN = "uid=alice,ou=people,dc=example,dc=test";
    private static final String BOB_DN = "uid=bob,ou=people,dc=example,dc=test";

    private final CountingDirectory ldap = new CountingDirectory();
    private final FakeTicker ticker = new FakeTicker();
    private final MeterRegistry registry = new SimpleMeterRegistry();
    /** Loads, reloads and Caffeine's maintenance run on the calling thread: no test waits for another. */
    private final HeldExecutor executor = new HeldExecutor();
    private CachingDirectory cache = wrap(config(Duration.ofMinutes(5), 1000));

    CachingDirectoryTest() {
        ldap.addUser("alice", "alice@example.test", ALICE_DN, "alice-pw");
        ldap.addUser("bob", "bob@example.test", BOB_DN, "bob-pw");
    }

    /** Runs each task at once on the caller's thread, or, while held, queues it until released. */
    private static final class HeldExecutor implements Executor {
        private final Queue<Runnable> queue = new ConcurrentLinkedQueue<>();
        private volatile boolean held;

        @Override
        public void execute(Runnable task) {
            if (held) {
                queue.add(task);
            } else {
                task.run();
            }
        }

        void hold() {
            held = true;
        }

        int queued() {
            return queue.size();
        }

        void runQueuedAndRelease() {
            held = false;
            for (Runnable task; (task = queue.poll()) != null; ) {
                task.run();
            }
        }
    }

    private static CacheConfig config(Duration refreshAhead, int maxSize) {
        return new CacheConfig(Duration.ofMinutes(10), Duration.ofMinutes(1), Duration.ofMinutes(2), maxSize,
                refreshAhead, Duration.ofHours(24), ChangeTracking.OFF, Duration.ofSeconds(30), Duration.ofSeconds(30), Duration.ZERO);
    }

    private CachingDirectory wrap(CacheConfig config) {
        return CachingDirectory.wrap(ldap, config, registry, ticker, executor);
    }

    private Lookup<Recipient> resolve(String text) {
        return cache.resolve(address(text));
    }

    private double count(String question, String result) {
        var counter = registry.find("postern.directory.cache.requests").tag("question", question)
                .tag("result", result).counter();
        return counter == null ? 0 : counter.count();
    }

    private double ldapRequests(String operation) {
        return registry.find("postern.directory.lookups").tag("operation", operation).timers().stream()
                .mapToLong(t -> t.count()).sum();
    }

    /**
     * Issue 16: RCPT accepts mail for a configured domain without asking the directory, so the
     * delivery's expansion must not need the directory for that domain either: during an outage
     * it is served what RCPT was served, and the mail is delivered.
     */
    @Test
    void duringAnOutageRoutingNeedsOnlyWhatRcptAsked() {
        cache = CachingDirectory.wrap(ldap, config(Duration.ofMinutes(5), 1000), Set.of("Example.test"), registry,
                ticker, executor);
        assertThat(resolve("alice@example.test")).isEqualTo(Lookup.found(mailbox("alice@example.test", ALICE_DN)));
        ldap.down = true;
        cache.reachability(false, "connect refused");
        var expansion = new io.postern.routing.RecipientExpander(cache, 10, 100)
                .expand(address("alice@example.test"), java.util.Optional.empty());
        assertThat(expansion.problems()).isEmpty();
        assertThat(expansion.local()).extracting(t -> t.mailbox().address().toString())
                .containsExactly("alice@example.test");
        assertThat(cache.isLocalDomain("EXAMPLE.TEST")).isEqualTo(Lookup.found(true));
        assertThat(resolve("bob@example.test")).as("never asked: try again later").isInstanceOf(Lookup.TempFail.class);
    }

    @Test
    void theInMemoryViewServesFreshAnswersAndNeverAsks() {
        cache = wrap(config(Duration.ZERO, 1000)); // no refresh-ahead: an old answer stays old
        io.postern.directory.Directory memory = cache.inMemory().orElseThrow();
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> memory.resolve(address("alice@example.test")))
                .as("never asked").isSameAs(io.postern.directory.NotInMemory.INSTANCE);
        assertThat(ldap.roundTrips).hasValue(0);

        resolve("alice@example.test");
        assertThat(memory.resolve(address("Alice@example.test")))
                .isEqualTo(Lookup.found(mailbox("alice@example.test", ALICE_DN)));
        assertThat(ldap.roundTrips).hasValue(1);

        ticker.advance(Duration.ofMinutes(11)); // past its TTL: only the directory may say it is still true
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> memory.resolve(address("alice@example.test")))
                .isSameAs(io.postern.directory.NotInMemory.INSTANCE);
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> memory.authenticate("alice", "alice-pw"))
                .as("a login is never checked on the loop").isSameAs(io.postern.directory.NotInMemory.INSTANCE);
    }

    @Test
    void aHotAddressCostsOneRoundTrip() {
        for (int i = 0; i < 1000; i++) {
            assertThat(resolve(i % 2 == 0 ? "alice@example.test" : "Alice@example.test"))
                    .isEqualTo(Lookup.found(mailbox("alice@example.test", ALICE_DN)));
        }
        assertThat(ldap.roundTrips).hasValue(1);
        assertThat(ldapRequests("resolve")).isEqualTo(1);
        assertThat(count("resolve", "hit")).isEqualTo(999);
        assertThat(count("resolve", "miss")).isEqualTo(1);
    }

    @Test
    void hotReadsGiveTheBackgroundThreadsNoWork() {
        java.util.concurrent.atomic.AtomicInteger tasks = new java.util.concurrent.atomic.AtomicInteger();
        cache = CachingDirectory.wrap(ldap, config(Duration.ofMinutes(5), 1000), registry, ticker, task -> {
            tasks.incrementAndGet();
            task.run();
        });
        for (int i = 0; i < 1000; i++) {
            resolve("alice@example.test");
        }
        // Caffeine's upkeep runs on the reading thread: a session's read never wakes another thread.
        assertThat(tasks).as("the one load").hasValue(1);
    }

    @Test
    void negativeAnswersAreCachedForTheirOwnShorterTtl() {
        assertThat(resolve("nobody@example.test")).isEqualTo(Lookup.found(new Recipient.Unknown(address("nobody@example.test"))));
        resolve("nobody@example.test");
        assertThat(ldap.roundTrips).hasValue(1);
        ticker.advance(Duration.ofSeconds(61));
        resolve("nobody@example.test");
        assertThat(ldap.roundTrips).hasValue(2);
    }

    @Test
    void positiveAnswersReloadAfterTheirTtl() {
        cache = wrap(config(Duration.ZERO, 1000));
        resolve("alice@example.test");
        ticker.advance(Duration.ofMinutes(9));
        resolve("alice@example.test");
        assertThat(ldap.roundTrips).hasValue(1);
        ldap.entries.put("alice@example.test", mailbox("alice@example.test", "uid=alice2,dc=example,dc=test"));
        ticker.advance(Duration.ofMinutes(2));
        assertThat(resolve("alice@example.test"))
                .isEqualTo(Lookup.found(mailbox("alice@example.test", "uid=alice2,dc=example,dc=test")));
        assertThat(ldap.roundTrips).hasValue(2);
    }

    @Test
    void aHotKeyNeverWaitsForTheDirectoryWhenRefreshedAhead() {
        resolve("alice@example.test");
        ldap.entries.put("alice@example.test", mailbox("alice@example.test", "uid=new,dc=example,dc=test"));
        ticker.advance(Duration.ofMinutes(6));
        // The reload is queued and does not run: a reader that waited for it would never return.
        executor.hold();
        assertTimeoutPreemptively(Await.DEADLINE, () -> {
            for (int i = 0; i < 100; i++) {
                assertThat(resolve("alice@example.test")).isEqualTo(Lookup.found(mailbox("alice@example.test", ALICE_DN)));
            }
        }, "a reader waited for the background reload");
        assertThat(executor.queued()).as("the reload was started").isPositive();
        executor.runQueuedAndRelease();
        assertThat(resolve("alice@example.test"))
                .isEqualTo(Lookup.found(mailbox("alice@example.test", "uid=new,dc=example,dc=test")));
        assertThat(ldap.roundTrips).as("one load, one background reload").hasValue(2);
    }

    @Test
    void anOutageServesCachedAnswersUpToMaxStaleThenTempFails() {
        resolve("alice@example.test");
        ldap.down = true;
        cache.reachability(false, "connect refused");
        ticker.advance(Duration.ofHours(1));
        assertThat(resolve("alice@example.test")).isEqualTo(Lookup.found(mailbox("alice@example.test", ALICE_DN)));
        assertThat(resolve("alice@example.test")).isEqualTo(Lookup.found(mailbox("alice@example.test", ALICE_DN)));
        assertThat(count("resolve", "stale")).isEqualTo(2);
        assertThat(cache.health().state()).isEqualTo(DirectoryHealth.State.DOWN);
        ticker.advance(Duration.ofHours(23).plusMinutes(1));
        assertThat(resolve("alice@example.test")).isInstanceOf(Lookup.TempFail.class);
    }

    @Test
    void anOutageNeverTurnsIntoAPermanentAnswer() {
        resolve("nobody@example.test");
        ldap.down = true;
        assertThat(resolve("bob@example.test")).as("never cached").isInstanceOf(Lookup.TempFail.class);
        assertThat(cache.isLocalDomain("example.test")).isInstanceOf(Lookup.TempFail.class);
        ticker.advance(Duration.ofMinutes(2));
        assertThat(resolve("nobody@example.test")).as("negative answer past its TTL").isInstanceOf(Lookup.TempFail.class);
        assertThat(count("resolve", "tempfail")).isEqualTo(2);
        ldap.down = false;
        assertThat(resolve("bob@example.test")).as("a TempFail is not cached")
                .isEqualTo(Lookup.found(mailbox("bob@example.test", BOB_DN)));
        assertThat(cache.health().state()).isEqualTo(DirectoryHealth.State.UP);
    }

    @Test
    void theRecoveryListenersRunOnceWhenTheDirectoryAnswersAgainAfterAnOutage() {
        java.util.concurrent.atomic.AtomicInteger recoveries = new java.util.concurrent.atomic.AtomicInteger();
        cache.health().onRecovery(recoveries::incrementAndGet);
        resolve("alice@example.test");
        assertThat(recoveries).as("the first answer is no recovery").hasValue(0);
        ldap.down = true;
        cache.reachability(false, "connect refused");
        assertThat(resolve("bob@example.test")).isInstanceOf(Lookup.TempFail.class);
        assertThat(recoveries).hasValue(0);
        ldap.down = false;
        ticker.advance(Duration.ofMinutes(1));
        assertThat(resolve("bob@example.test")).isEqualTo(Lookup.found(mailbox("bob@example.test", BOB_DN)));
        assertThat(resolve("carol@example.test")).isNotInstanceOf(Lookup.TempFail.class);
        assertThat(recoveries).as("once, on the way back up").hasValue(1);
    }

    @Test
    void duringAnOutageOnlyOneQuestionPerProbeIntervalReachesTheDirectory() {
        cache = wrap(new CacheConfig(Duration.ofMinutes(10), Duration.ofMinutes(1), Duration.ofMinutes(2), 1000,
                Duration.ZERO, Duration.ofHours(24), ChangeTracking.OFF, Duration.ofSeconds(30), Duration.ofSeconds(30),
                Duration.ofSeconds(1)));
        resolve("alice@example.test");
        ldap.down = true;
        assertThat(resolve("bob@example.test")).isInstanceOf(Lookup.TempFail.class);
        assertThat(cache.health().state()).as("one TempFail is not an outage").isEqualTo(DirectoryHealth.State.UP);
        cache.reachability(false, "connect refused");
        ldap.roundTrips.set(0);
        ticker.advance(Duration.ofMinutes(11));
        for (int i = 0; i < 100; i++) {
            assertThat(resolve("user" + i + "@example.test")).isInstanceOf(Lookup.TempFail.class);
            assertThat(resolve("alice@example.test")).isInstanceOf(Lookup.Found.class);
        }
        assertThat(ldap.roundTrips).as("one probe in the interval").hasValue(1);
        ldap.down = false;
        ticker.advance(Duration.ofSeconds(1));
        assertThat(resolve("bob@example.test")).isEqualTo(Lookup.found(mailbox("bob@example.test", BOB_DN)));
        assertThat(resolve("user1@example.test")).as("back up: every question asks again")
                .isEqualTo(Lookup.found(new Recipient.Unknown(address("user1@example.test"))));
    }

    @Test
    void aRememberedLoginIsAHashNeverThePassword() {
        assertThat(cache.authenticate("alice", "alice-pw")).isInstanceOf(Login.Succeeded.class);
        assertThat(cache.authenticate("alice", "alice-pw")).isInstanceOf(Login.Succeeded.class);
        assertThat(ldap.roundTrips).hasValue(1);
        byte[] stored = cache.storedLoginHash("alice").orElseThrow();
        byte[] password = "alice-pw".getBytes(StandardCharsets.UTF_8);
        assertThat(stored).isNotEqualTo(password).hasSize(32);
        assertThat(new String(stored, StandardCharsets.ISO_8859_1)).doesNotContain("alice-pw");
        assertThat(PasswordHash.of("alice-pw").hashBytes()).as("salted").isNotEqualTo(stored);
    }

    @Test
    void aFailedLoginIsNeverCachedAsSuccess() {
        assertThat(cache.authenticate("alice", "wrong")).isEqualTo(new Login.Failed(Login.Reason.WRONG_PASSWORD));
        assertThat(cache.authenticate("alice", "wrong")).isEqualTo(new Login.Failed(Login.Reason.WRONG_PASSWORD));
        assertThat(ldap.roundTrips).hasValue(2);
        cache.authenticate("alice", "alice-pw");
        assertThat(cache.authenticate("alice", "wrong")).isEqualTo(new Login.Failed(Login.Reason.WRONG_PASSWORD));
        assertThat(cache.authenticate("alice", "")).isEqualTo(new Login.Failed(Login.Reason.EMPTY_PASSWORD));
        ldap.down = true;
        assertThat(cache.authenticate("alice", "wrong")).as("outage with a wrong password")
                .isInstanceOf(Login.TempFail.class);
        assertThat(cache.authenticate("bob", "bob-pw")).as("outage, never seen").isInstanceOf(Login.TempFail.class);
        ticker.advance(Duration.ofMinutes(3));
        assertThat(cache.authenticate("alice", "alice-pw")).as("outage, remembered: served stale")
                .isInstanceOf(Login.Succeeded.class);
        assertThat(count("login", "stale")).isEqualTo(1);
    }

    @Test
    void aChangedPasswordIsSeenOnceTheDnIsInvalidated() {
        cache.authenticate("alice", "alice-pw");
        cache.authenticate("bob", "bob-pw");
        ldap.passwords.put("alice", "new-pw");
        cache.invalidate(DirectoryChange.of(DirectoryChange.Kind.MODIFY, "UID=alice, ou=people,dc=example,dc=test",
                Set.of(address("alice@example.test")), Set.of(address("alice@example.test"))));
        int before = ldap.roundTrips.get();
        assertThat(cache.authenticate("alice", "alice-pw")).isInstanceOf(Login.Failed.class);
        assertThat(cache.authenticate("bob", "bob-pw")).isInstanceOf(Login.Succeeded.class);
        assertThat(ldap.roundTrips.get() - before).as("alice asked again, bob from memory").isEqualTo(1);
    }

    @Test
    void invalidationEvictsExactlyWhatTheChangeAffects() {
        MailAddress alice = address("alice@example.test");
        ldap.entries.put("team@example.test", new Recipient.Group(address("team@example.test"),
                "cn=team,ou=groups,dc=example,dc=test", List.of(alice, address("carol@example.test")), List.of()));
        ldap.entries.put("other@example.test", new Recipient.Group(address("other@example.test"),
                "cn=other,ou=groups,dc=example,dc=test", List.of(address("bob@example.test")), List.of()));
        ldap.entries.put("info@example.test", new Recipient.Alias(address("info@example.test"), List.of(alice)));
        List<String> all = List.of("alice@example.test", "alice+lists@example.test", "bob@example.test",
                "team@example.test", "other@example.test", "info@example.test", "a.new@example.test");
        all.forEach(this::resolve);
        Login.Identity aliceId = new Login.Identity("alice", ALICE_DN, alice);
        Login.Identity bobId = new Login.Identity("bob", BOB_DN, address("bob@example.test"));
        cache.maySendAs(aliceId, alice);
        cache.maySendAs(bobId, address("bob@example.test"));
        cache.isLocalDomain("example.test");
        assertThat(ldap.roundTrips).hasValue(all.size() + 3);

        // alice gains an alternate address: her entry, her subaddress, the group holding her, the new
        // address's negative entry and her send-as answers go; nothing else does.
        ldap.entries.put("a.new@example.test", mailbox("alice@example.test", ALICE_DN));
        cache.invalidate(DirectoryChange.of(DirectoryChange.Kind.MODIFY, ALICE_DN, Set.of(alice),
                Set.of(alice, address("a.new@example.test"))));
        ldap.roundTrips.set(0);
        all.forEach(this::resolve);
        cache.maySendAs(aliceId, alice);
        cache.maySendAs(bobId, address("bob@example.test"));
        cache.isLocalDomain("example.test");
        assertThat(ldap.roundTrips).as("alice, alice+lists, team, a.new, alice's send-as").hasValue(5);
        assertThat(resolve("a.new@example.test")).isEqualTo(Lookup.found(mailbox("alice@example.test", ALICE_DN)));
        assertThat(registry.find("postern.directory.changes").tag("kind", "modify").counter().count()).isEqualTo(1);

        ldap.roundTrips.set(0);
        cache.invalidate(new DirectoryChange(DirectoryChange.Kind.ADD, "dc=example.org,ou=domains,dc=example,dc=test",
                "dc=example.org,ou=domains,dc=example,dc=test", Set.of(), Set.of(), Set.of("Example.test"), false));
        all.forEach(this::resolve);
        cache.isLocalDomain("example.test");
        assertThat(ldap.roundTrips).as("only the domain").hasValue(1);

        ldap.roundTrips.set(0);
        cache.invalidateAll();
        all.forEach(this::resolve);
        assertThat(ldap.roundTrips).hasValue(all.size());
    }

    /**
     * Issue 16: a gap in change tracking (a reconnection after a blip) asks every answer again,
     * but does not throw away what an outage right after it needs: positive answers stay
     * servable while the directory is down; negative ones go.
     */
    @Test
    void aResynchronisationAsksAgainButKeepsAnswersForAnOutage() {
        resolve("alice@example.test");
        resolve("nobody@example.test");
        cache.resynchronise();
        ldap.roundTrips.set(0);
        resolve("alice@example.test");
        assertThat(ldap.roundTrips).as("asked again after the resync").hasValue(1);

        cache.resynchronise();
        ldap.down = true;
        cache.reachability(false, "connect refused");
        assertThat(resolve("alice@example.test")).as("served stale during the outage")
                .isEqualTo(Lookup.found(mailbox("alice@example.test", ALICE_DN)));
        assertThat(resolve("nobody@example.test")).as("a negative answer is not kept")
                .isInstanceOf(Lookup.TempFail.class);
    }

    @Test
    void aGroupChangeEvictsEveryGroupExpansion() {
        ldap.entries.put("all@example.test", new Recipient.Group(address("all@example.test"),
                "cn=all,ou=groups,dc=example,dc=test", List.of(address("bob@example.test")), List.of()));
        resolve("all@example.test");
        resolve("bob@example.test");
        cache.invalidate(new DirectoryChange(DirectoryChange.Kind.MODIFY, "cn=nested,ou=groups,dc=example,dc=test",
                "cn=nested,ou=groups,dc=example,dc=test", Set.of(address("nested@example.test")),
                Set.of(address("nested@example.test")), Set.of(), true));
        ldap.roundTrips.set(0);
        resolve("all@example.test");
        resolve("bob@example.test");
        assertThat(ldap.roundTrips).as("the outer group may have expanded the nested one").hasValue(1);
    }

    @Test
    void theSizeBoundHolds() {
        cache = wrap(config(Duration.ofMinutes(5), 10));
        for (int i = 0; i < 200; i++) {
            resolve("user" + i + "@example.test");
        }
        cache.cleanUp(); // loads and maintenance ran on this thread: the clean-up sees them all
        assertThat(cache.cachedAnswers()).isLessThanOrEqualTo(10);
        assertThat(registry.find("postern.directory.cache.evictions").tag("question", "resolve").tag("cause", "size")
                .counter().count()).isGreaterThan(100);
    }

    @Test
    void readyWhenTheDirectoryAnswersOrTheCacheIsWarm() {
        var readiness = cache.readiness();
        assertThat(readiness.name()).isEqualTo("directory");
        assertThat(readiness.check().ready()).as("not contacted yet").isFalse();
        resolve("alice@example.test");
        assertThat(readiness.check().ready()).isTrue();
        assertThat(registry.get("postern.directory.up").gauge().value()).isEqualTo(1);
        cache.reachability(false, "connect refused");
        assertThat(readiness.check().ready()).as("down but warm").isTrue();
        assertThat(registry.get("postern.directory.up").gauge().value()).isEqualTo(0);
        cache.invalidateAll();
        cache.cleanUp();
        assertThat(readiness.check()).isEqualTo(new io.postern.observability.ReadinessCheck.Status(false,
                "directory unreachable (connect refused) and nothing cached"));
    }

    @Test
    void dnsCompareInNormalForm() {
        assertThat(DirectoryChange.normalizeDn("UID=Alice , OU=People,dc=example, dc=test"))
                .isEqualTo("uid=alice,ou=people,dc=example,dc=test");
        assertThat(DirectoryChange.normalizeDn("cn=a\\, b,dc=x")).isEqualTo("cn=a\\, b,dc=x");
    }
}
