package io.postern.it.cache;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.Counter;
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
import io.postern.it.servers.SambaDc;
import io.postern.mail.MailAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;
import java.util.Map;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * Deletions, renames and moves out of the searched base on a real Samba AD DC, seen by a node
 * whose service account is an ORDINARY domain user (created with samba-tool, as docs/directory.md
 * asks): AD sends such an account no deleted objects, so the periodic reconciliation
 * ({@code cache.reconcileInterval}, 2 s here) must notice each within its documented bound
 * (interval + 0.5 s + one listing). The fast path (tombstones pushed by change notification) is
 * used exactly when the account may read CN=Deleted Objects: Administrator, or the ordinary
 * account after scripts/ad-grant-deleted-objects.py; in a domain without any tombstone yet, from
 * the first deletion the reconciliation finds. Methods run in order: the first needs a domain
 * where nothing was deleted.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class SambaDeletionIT {
    private static final String OU = "OU=Mail," + SambaDc.BASE_DN;
    private static final String SERVICE = "svc-postern";
    private static final String SERVICE_PASSWORD = "Svc-Passw0rd1";
    /** {@code -Dpostern.it.reconcileSeconds=0} turns reconciliation off: the ordinary-account tests must then fail. */
    private static final Duration RECONCILE = Duration.ofSeconds(Long.getLong("postern.it.reconcileSeconds", 2));
    /** The documented bound without the right: the interval, the tracker's 0.5 s wake-up, one listing (generous on this noisy machine). */
    private static final long BOUND_MILLIS = RECONCILE.toMillis() + 500 + 2000;

    @TempDir
    static Path dir;
    static SambaDc ad;

    @BeforeAll
    static void start() throws Exception {
        ad = SambaDc.start(dir.resolve("samba"));
        ad.createUser(SERVICE, SERVICE_PASSWORD);
        ad.createUser("svc-granted", SERVICE_PASSWORD);
        ad.modify("""
                dn: %s
                changetype: add
                objectClass: organizationalUnit

                """.formatted(OU));
    }

    @AfterAll
    static void stop() throws Exception {
        if (ad != null) {
            ad.close();
        }
    }

    /** A node's directory stack: adapter, cache and change tracker, bound as {@code account}. */
    private record Node(SimpleMeterRegistry registry, LdapDirectory ldap, CachingDirectory cache, ChangeTracker tracker)
            implements AutoCloseable {
        static Node start(Path dir, String account, String password) throws Exception {
            Files.createDirectories(dir);
            PosternConfig config = new ConfigLoader(new SecretResolver(Map.of())).parse("""
                    listeners:
                      - { kind: mx, port: 2525 }
                    admin: { enabled: false }
                    domains: [example.test]
                    directory:
                      profile: active-directory
                      urls: [%s]
                      baseDn: '%s'
                      bindDn: %s@%s
                      bindPassword: '%s'
                    cache:
                      ttl: { positive: 10m, negative: 10m }
                      reconcileInterval: %ds
                    """.formatted(ad.url(), OU, account, SambaDc.REALM, password, RECONCILE.toSeconds()), dir, "it.yaml");
            SimpleMeterRegistry registry = new SimpleMeterRegistry();
            LdapDirectory ldap = LdapDirectory.connect(config, registry);
            CachingDirectory cache = CachingDirectory.wrap(ldap, config.cache(), registry);
            ChangeTracker tracker = ChangeTracker.start(ldap, config.cache(), cache);
            Node node = new Node(registry, ldap, cache, tracker);
            await(Duration.ofSeconds(30), () -> tracker.mode() == ChangeTracking.NOTIFICATION
                    && cache.health().state() == DirectoryHealth.State.UP && node.changes("resync") > 0);
            return node;
        }

        double changes(String kind) {
            Counter counter = registry.find("postern.directory.changes").tag("kind", kind).counter();
            return counter == null ? 0 : counter.count();
        }

        double hits() {
            return registry.find("postern.directory.cache.requests").tag("question", "resolve").tag("result", "hit")
                    .counters().stream().mapToDouble(Counter::count).sum();
        }

        /** Whether resolving {@code address} now is a cache hit (and still a mailbox). */
        boolean servedFromCache(MailAddress address) {
            double before = hits();
            return deliverable(address) && hits() > before;
        }

        boolean deliverable(MailAddress address) {
            return cache.resolve(address) instanceof Lookup.Found<Recipient> f && f.value() instanceof Recipient.Mailbox;
        }

        boolean unknown(MailAddress address) {
            return cache.resolve(address) instanceof Lookup.Found<Recipient> f && f.value() instanceof Recipient.Unknown;
        }

        @Override
        public void close() {
            tracker.close();
            cache.close();
            ldap.close();
        }
    }

    private static MailAddress address(String text) {
        return MailAddress.parse(text).orElseThrow();
    }

    private static void addUser(String name) throws Exception {
        ad.modify("""
                dn: CN=%1$s,%2$s
                changetype: add
                objectClass: user
                sAMAccountName: %1$s
                userPrincipalName: %1$s@ad.example.test
                mail: %1$s@example.test
                proxyAddresses: SMTP:%1$s@example.test
                userAccountControl: 544

                """.formatted(name, OU));
    }

    private static void delete(String dn) throws Exception {
        ad.modify("dn: " + dn + "\nchangetype: delete\n\n");
    }

    @Test
    @Order(2)
    void anOrdinaryAccountNoticesADeletionRightAfterCreationWithinTheBound() throws Exception {
        try (Node node = Node.start(dir.resolve("n1"), SERVICE, SERVICE_PASSWORD)) {
            assertThat(node.tracker().deletions()).isEqualTo(ChangeTracker.Deletions.LISTING);
            MailAddress quick = address("quick@example.test");
            double adds = node.changes("add");
            addUser("quick");
            await(Duration.ofSeconds(10), () -> node.changes("add") > adds);
            // Cached after the add's eviction, and served from the cache.
            await(Duration.ofSeconds(10), () -> node.deliverable(quick));
            double hits = node.hits();
            assertThat(node.deliverable(quick)).isTrue();
            assertThat(node.hits()).isGreaterThan(hits);
            double deletes = node.changes("delete");
            delete("CN=quick," + OU);
            long millis = millisUntil(() -> node.unknown(quick));
            System.out.printf("Samba AD, ordinary account: deletion right after creation noticed in %d ms%n", millis);
            assertThat(millis).isLessThan(BOUND_MILLIS);
            assertThat(node.changes("delete")).isGreaterThan(deletes);
            // Tombstones exist now, and still the ordinary account may not read them.
            assertThat(node.tracker().deletions()).isEqualTo(ChangeTracker.Deletions.LISTING);
        }
    }

    @Test
    @Order(3)
    void anOrdinaryAccountNoticesADeletionOfACachedServedEntryWithinTheBound() throws Exception {
        try (Node node = Node.start(dir.resolve("n2"), SERVICE, SERVICE_PASSWORD)) {
            MailAddress old = address("settled@example.test");
            double adds = node.changes("add");
            addUser("settled");
            await(Duration.ofSeconds(10), () -> node.changes("add") > adds);
            await(Duration.ofSeconds(10), () -> node.deliverable(old));
            // Served from the cache across several reconciliations first.
            double hits = node.hits();
            long until = System.nanoTime() + RECONCILE.multipliedBy(3).toNanos();
            while (System.nanoTime() < until) {
                assertThat(node.deliverable(old)).isTrue();
                Thread.sleep(100);
            }
            assertThat(node.hits()).isGreaterThan(hits + 10);
            double deletes = node.changes("delete");
            delete("CN=settled," + OU);
            long millis = millisUntil(() -> node.unknown(old));
            System.out.printf("Samba AD, ordinary account: deletion of a cached entry noticed in %d ms%n", millis);
            assertThat(millis).isLessThan(BOUND_MILLIS);
            assertThat(node.changes("delete")).isGreaterThan(deletes);
        }
    }

    @Test
    @Order(4)
    void anOrdinaryAccountNoticesRenamesAndAMoveOutOfTheBase() throws Exception {
        try (Node node = Node.start(dir.resolve("n3"), SERVICE, SERVICE_PASSWORD)) {
            MailAddress renamed = address("renamed@example.test");
            MailAddress moved = address("moved@example.test");
            MailAddress readdressed = address("readdressed@example.test");
            double adds = node.changes("add");
            addUser("renamed");
            addUser("moved");
            addUser("readdressed");
            await(Duration.ofSeconds(10), () -> node.changes("add") >= adds + 3);
            await(Duration.ofSeconds(10), () -> node.deliverable(renamed) && node.deliverable(moved)
                    && node.deliverable(readdressed));

            ad.modify("dn: CN=renamed,%s\nchangetype: modrdn\nnewrdn: CN=renamed2\ndeleteoldrdn: 1\n\n".formatted(OU));
            long rename = millisUntil(() -> node.cache().resolve(renamed) instanceof Lookup.Found<Recipient> f
                    && f.value() instanceof Recipient.Mailbox m && m.dn().toLowerCase(Locale.ROOT).startsWith("cn=renamed2,"));

            ad.modify("""
                    dn: CN=readdressed,%s
                    changetype: modify
                    replace: mail
                    mail: newname@example.test
                    -
                    replace: proxyAddresses
                    proxyAddresses: SMTP:newname@example.test
                    -

                    """.formatted(OU));
            long readdress = millisUntil(() -> node.unknown(readdressed)
                    && node.deliverable(address("newname@example.test")));

            ad.modify("dn: CN=moved,%s\nchangetype: modrdn\nnewrdn: CN=moved\ndeleteoldrdn: 1\nnewsuperior: CN=Users,%s\n\n"
                    .formatted(OU, SambaDc.BASE_DN));
            long move = millisUntil(() -> node.unknown(moved));
            System.out.printf("Samba AD, ordinary account: rename seen in %d ms, address change in %d ms, move out of"
                    + " the base in %d ms%n", rename, readdress, move);
            assertThat(rename).isLessThan(BOUND_MILLIS);
            assertThat(readdress).isLessThan(BOUND_MILLIS);
            assertThat(move).isLessThan(BOUND_MILLIS);
        }
    }

    @Test
    @Order(1)
    void theFastPathIsUsedExactlyWhenTheAccountMayReadDeletedObjects() throws Exception {
        // First in the class: the new domain has no tombstone yet, so even Administrator starts on
        // the reconciliation, and switches to the fast path once a deletion has made one.
        try (Node admin = Node.start(dir.resolve("n0"), "Administrator", SambaDc.PASSWORD)) {
            assertThat(admin.tracker().deletions()).isEqualTo(ChangeTracker.Deletions.LISTING);
            MailAddress first = address("firstgone@example.test");
            addUser("firstgone");
            await(Duration.ofSeconds(10), () -> admin.deliverable(first));
            delete("CN=firstgone," + OU);
            long millis = millisUntil(() -> admin.unknown(first));
            System.out.printf("Samba AD, Administrator, no tombstone at start: first deletion noticed in %d ms%n", millis);
            assertThat(millis).isLessThan(BOUND_MILLIS);
            await(Duration.ofSeconds(10), () -> admin.tracker().deletions() == ChangeTracker.Deletions.PUSHED);
            measurePushedDeletion(admin, "secondgone", "Administrator after the re-probe");
        }
        try (Node ordinary = Node.start(dir.resolve("n4"), SERVICE, SERVICE_PASSWORD)) {
            assertThat(ordinary.tracker().deletions()).isEqualTo(ChangeTracker.Deletions.LISTING);
        }
        try (Node admin = Node.start(dir.resolve("n5"), "Administrator", SambaDc.PASSWORD)) {
            assertThat(admin.tracker().deletions()).isEqualTo(ChangeTracker.Deletions.PUSHED);
            measurePushedDeletion(admin, "fastadmin", "Administrator");
        }
        ad.grantDeletedObjects(repo("scripts/ad-grant-deleted-objects.py"), "svc-granted");
        try (Node granted = Node.start(dir.resolve("n6"), "svc-granted", SERVICE_PASSWORD)) {
            assertThat(granted.tracker().deletions()).isEqualTo(ChangeTracker.Deletions.PUSHED);
            measurePushedDeletion(granted, "fastgranted", "granted ordinary account");
        }
    }

    private static void measurePushedDeletion(Node node, String user, String who) throws Exception {
        MailAddress gone = address(user + "@example.test");
        double adds = node.changes("add");
        addUser(user);
        await(Duration.ofSeconds(10), () -> node.changes("add") > adds);
        // Samba may notify more than once about a new entry, and each notice evicts it: wait until
        // a resolve is answered from the cache, so that the deletion below evicts a cached entry.
        await(Duration.ofSeconds(10), () -> node.servedFromCache(gone));
        double deletes = node.changes("delete");
        delete("CN=" + user + "," + OU);
        long millis = millisUntil(() -> node.unknown(gone));
        System.out.printf("Samba AD, %s (tombstones pushed): deletion noticed in %d ms%n", who, millis);
        // Well inside one reconciliation interval: only the push can be this fast.
        assertThat(millis).isLessThan(1000);
        assertThat(node.changes("delete")).isGreaterThan(deletes);
    }

    private static Path repo(String path) {
        String home = System.getProperty("postern.home");
        return (home != null ? Path.of(home) : Path.of("..").toAbsolutePath().normalize()).resolve(path);
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

    /** Milliseconds until {@code condition} holds, polled every 10 ms; 30 s (a failure) when it never does. */
    private static long millisUntil(BooleanSupplier condition) throws InterruptedException {
        long start = System.nanoTime();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() - start > Duration.ofSeconds(30).toNanos()) {
                return 30_000;
            }
            Thread.sleep(10);
        }
        return Duration.ofNanos(System.nanoTime() - start).toMillis();
    }
}
