package io.postern.sasl;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.postern.config.LoginThrottleConfig;
import io.postern.sasl.LoginThrottle.Admission;
import java.net.InetAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/** The login throttle's policy with a hand-moved clock: lockout, delays, cap, decay, keys, atomicity, events. */
class LoginThrottleTest {
    private static final Duration WINDOW = Duration.ofMinutes(15);
    private final AtomicLong nanos = new AtomicLong(1_000_000_000L);
    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    private final ListAppender<ILoggingEvent> logs = new ListAppender<>();
    private final Logger logger = (Logger) LoggerFactory.getLogger(LoginThrottle.class);

    @BeforeEach
    void capture() {
        logs.start();
        logger.addAppender(logs);
    }

    @AfterEach
    void release() {
        logger.detachAppender(logs);
    }

    /** perLogin 3, delays from 5 network failures (100ms doubling to 800ms), network cap 20. */
    private LoginThrottle throttle(int ipv6Prefix) {
        return new LoginThrottle(new LoginThrottleConfig(3, 5, Duration.ofMillis(100), Duration.ofMillis(800), 20,
                WINDOW, 32, ipv6Prefix, 1_000), registry, nanos::get);
    }

    private static InetAddress ip(String text) throws Exception {
        return InetAddress.getByName(text);
    }

    private static LoginThrottle.Attempt proceed(Admission admission) {
        assertThat(admission).isInstanceOf(Admission.Proceed.class);
        return ((Admission.Proceed) admission).attempt();
    }

    private static void fail(LoginThrottle throttle, InetAddress client, String login) {
        proceed(throttle.admit(client, login)).failed();
    }

    private void advance(Duration d) {
        nanos.addAndGet(d.toNanos());
    }

    private List<String> lines() {
        synchronized (logs) {
            return logs.list.stream().map(ILoggingEvent::getFormattedMessage).toList();
        }
    }

    @Test
    void aLoginIsLockedFromItsNetworkWhileOthersThereStillLogIn() throws Exception {
        LoginThrottle throttle = throttle(64);
        InetAddress nat = ip("198.51.100.7");
        for (int i = 0; i < 3; i++) {
            fail(throttle, nat, "alice@example.test");
        }
        // The typo-er is locked, even with the right password: the reservation is refused before any check.
        assertThat(throttle.admit(nat, "Alice@Example.test")).isInstanceOf(Admission.LoginLocked.class);
        // Bob, behind the same NAT, logs in; and alice from another network is not concerned.
        proceed(throttle.admit(nat, "bob@example.test")).succeeded();
        proceed(throttle.admit(ip("203.0.113.9"), "alice@example.test")).succeeded();
        assertThat(registry.get("postern.auth.throttle.refused").tag("limit", "login").counter().count()).isEqualTo(1);
        assertThat(registry.get("postern.auth.throttle.active").tag("limit", "login").gauge().value()).isEqualTo(1);
    }

    @Test
    void theLockDecaysInsteadOfEndingAtOnce() throws Exception {
        LoginThrottle throttle = throttle(64);
        InetAddress client = ip("192.0.2.1");
        for (int i = 0; i < 3; i++) {
            fail(throttle, client, "alice");
        }
        // 3 failures must decay to 2: after window * ln(3/2.05) ~ 0.38 window, one more guess, not three.
        advance(WINDOW.multipliedBy(30).dividedBy(100));
        assertThat(throttle.admit(client, "alice")).isInstanceOf(Admission.LoginLocked.class);
        advance(WINDOW.multipliedBy(10).dividedBy(100));
        fail(throttle, client, "alice");
        assertThat(throttle.admit(client, "alice")).isInstanceOf(Admission.LoginLocked.class);
    }

    @Test
    void aSuccessClearsTheLoginsCountFromThatNetwork() throws Exception {
        LoginThrottle throttle = throttle(64);
        InetAddress client = ip("192.0.2.1");
        fail(throttle, client, "alice");
        fail(throttle, client, "alice");
        proceed(throttle.admit(client, "alice")).succeeded();
        fail(throttle, client, "alice");
        fail(throttle, client, "alice");
        proceed(throttle.admit(client, "alice")).failed();
        assertThat(throttle.admit(client, "alice")).isInstanceOf(Admission.LoginLocked.class);
    }

    @Test
    void ipv6IsKeyedByItsPrefixAndIpv4ByTheAddress() throws Exception {
        LoginThrottle throttle = throttle(64);
        assertThat(throttle.network(ip("2001:db8:1:2:aaaa::1"))).isEqualTo("2001:db8:1:2:0:0:0:0/64");
        assertThat(throttle.network(ip("192.0.2.77"))).isEqualTo("192.0.2.77/32");
        assertThat(throttle.network(java.net.Inet6Address.getByAddress(null,
                new byte[] {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, (byte) 0xff, (byte) 0xff, (byte) 192, 0, 2, 77}, null)))
                .isEqualTo("192.0.2.77/32");
        for (int i = 0; i < 3; i++) {
            // A client that takes a new address of its /64 for every guess is still one network.
            fail(throttle, ip("2001:db8:1:2::" + Integer.toHexString(i + 1)), "alice");
        }
        assertThat(throttle.admit(ip("2001:db8:1:2:ffff::9"), "alice")).isInstanceOf(Admission.LoginLocked.class);
        proceed(throttle.admit(ip("2001:db8:1:3::1"), "alice")).abandoned();
        assertThat(throttle(48).network(ip("2001:db8:1:2::1"))).isEqualTo("2001:db8:1:0:0:0:0:0/48");
    }

    @Test
    void parallelAttemptsGetExactlyTheRemainingGuesses() throws Exception {
        LoginThrottle throttle = throttle(64);
        InetAddress client = ip("192.0.2.1");
        fail(throttle, client, "alice");
        int sessions = 16;
        CountDownLatch go = new CountDownLatch(1);
        CountDownLatch checked = new CountDownLatch(1);
        List<Future<Admission>> results = new ArrayList<>();
        try (ExecutorService pool = Executors.newFixedThreadPool(sessions)) {
            for (int i = 0; i < sessions; i++) {
                results.add(pool.submit(() -> {
                    go.await();
                    Admission a = throttle.admit(client, "alice");
                    if (a instanceof Admission.Proceed p) {
                        // Every admitted guess is still being checked while the others ask.
                        checked.await();
                        p.attempt().failed();
                    }
                    return a;
                }));
            }
            go.countDown();
            long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
            while (results.stream().filter(Future::isDone).count() < sessions - 2 && System.nanoTime() < deadline) {
                Thread.sleep(5);
            }
            checked.countDown();
            int proceeded = 0;
            int locked = 0;
            for (Future<Admission> f : results) {
                Admission a = f.get();
                proceeded += a instanceof Admission.Proceed ? 1 : 0;
                locked += a instanceof Admission.LoginLocked ? 1 : 0;
            }
            assertThat(proceeded).isEqualTo(2);
            assertThat(locked).isEqualTo(sessions - 2);
        }
        assertThat(throttle.admit(client, "alice")).isInstanceOf(Admission.LoginLocked.class);
    }

    @Test
    void aNetworkIsSlowedDownProgressivelyThenRefusedAtItsCap() throws Exception {
        LoginThrottle throttle = throttle(64);
        InetAddress client = ip("192.0.2.1");
        List<Duration> delays = new ArrayList<>();
        // Password spraying: two guesses per login, never reaching a login's own limit.
        for (int i = 0; i < 20; i++) {
            Admission a = throttle.admit(client, "user" + (i / 2));
            delays.add(((Admission.Proceed) a).delay());
            ((Admission.Proceed) a).attempt().failed();
        }
        assertThat(delays.subList(0, 5)).containsOnly(Duration.ZERO);
        assertThat(delays.subList(5, 10)).containsExactly(Duration.ofMillis(100), Duration.ofMillis(200),
                Duration.ofMillis(400), Duration.ofMillis(800), Duration.ofMillis(800));
        // A correct password is slowed, not refused, below the cap; at the cap every login is refused.
        assertThat(throttle.admit(client, "fresh")).isInstanceOf(Admission.NetworkRefused.class);
        assertThat(registry.get("postern.auth.throttle.refused").tag("limit", "network").counter().count()).isEqualTo(1);
        // Another address is another network.
        assertThat(((Admission.Proceed) throttle.admit(ip("192.0.2.2"), "fresh")).delay()).isZero();
    }

    @Test
    void aCorrectPasswordIsNeverRefusedBelowTheCap() throws Exception {
        LoginThrottle throttle = throttle(64);
        InetAddress client = ip("192.0.2.1");
        for (int i = 0; i < 19; i++) {
            fail(throttle, client, "user" + i);
            Admission a = throttle.admit(client, "bob");
            assertThat(a).as("after %d failures", i + 1).isInstanceOf(Admission.Proceed.class);
            ((Admission.Proceed) a).attempt().succeeded();
        }
    }

    @Test
    void abandonedAttemptsCountForNothing() throws Exception {
        LoginThrottle throttle = throttle(64);
        InetAddress client = ip("192.0.2.1");
        for (int i = 0; i < 10; i++) {
            LoginThrottle.Attempt attempt = proceed(throttle.admit(client, "alice"));
            attempt.abandoned();
            attempt.failed(); // settled once only
        }
        proceed(throttle.admit(client, "alice")).succeeded();
    }

    @Test
    void startAndEndOfEachLimitAreLoggedAndCounted() throws Exception {
        LoginThrottle throttle = throttle(64);
        InetAddress client = ip("2001:db8::7");
        for (int i = 0; i < 3; i++) {
            fail(throttle, client, "al\"ice\n x=1");
        }
        assertThat(lines()).containsExactly("event=login-throttle-start limit=login network=2001:db8:0:0:0:0:0:0/64 "
                + "login=\"al\\\"ice\\n x=1\" failures=3");
        assertThat(registry.get("postern.auth.throttle.started").tag("limit", "login").counter().count()).isEqualTo(1);
        advance(WINDOW);
        throttle.sweep();
        assertThat(lines()).hasSize(2);
        // The end is dated when the count fell below the limit (window * ln(3/2.05) ~ 343 s), not when it was seen.
        assertThat(lines().get(1)).startsWith("event=login-throttle-end limit=login network=2001:db8:0:0:0:0:0:0/64 "
                + "login=\"al\\\"ice\\n x=1\" duration=342.");
        assertThat(registry.get("postern.auth.throttle.active").tag("limit", "login").gauge().value()).isZero();
    }

    @Test
    void forgottenEntriesEndTheirLimits() throws Exception {
        LoginThrottle throttle = throttle(64);
        InetAddress client = ip("192.0.2.1");
        for (int i = 0; i < 5; i++) {
            fail(throttle, client, "user" + i);
        }
        assertThat(registry.get("postern.auth.throttle.active").tag("limit", "delay").gauge().value()).isEqualTo(1);
        advance(WINDOW.multipliedBy(5));
        throttle.sweep();
        assertThat(registry.get("postern.auth.throttle.active").tag("limit", "delay").gauge().value()).isZero();
        assertThat(lines()).anyMatch(l -> l.startsWith("event=login-throttle-end limit=delay network=192.0.2.1/32"));
    }
}
