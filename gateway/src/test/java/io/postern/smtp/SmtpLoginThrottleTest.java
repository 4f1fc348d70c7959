package io.postern.smtp;

import io.postern.testing.MapDirectory;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** SMTP AUTH against the login throttle over real sessions: parallel guesses, delays off the event loop. */
class SmtpLoginThrottleTest {
    private static final String LOCKED = "454 4.7.0 Too many failed logins for this user from your network, try again later";

    @TempDir
    Path dir;

    private static String plain(String login, String password) {
        return "AUTH PLAIN " + Base64.getEncoder().encodeToString(("\0" + login + "\0" + password)
                .getBytes(StandardCharsets.UTF_8));
    }

    private static SmtpTestClient session(SmtpTestServer server) throws Exception {
        SmtpTestClient client = new SmtpTestClient(server.port());
        assertThat(client.readLine()).startsWith("220 ");
        client.send("EHLO client.test");
        client.reply();
        return client;
    }

    @Test
    void parallelSessionsGetExactlyTheLimitsGuesses() throws Exception {
        String yaml = SmtpTestServer.yaml("submission", "none",
                "auth: {allowPlaintextOnLoopback: true, throttle: {maxFailuresPerLogin: 3, delayAfterFailures: 100}}\n");
        try (SmtpTestServer server = new SmtpTestServer(yaml, dir, MapDirectory.fixture())) {
            CountDownLatch gate = new CountDownLatch(1);
            server.directory.gateLogins(gate);
            int sessions = 10;
            List<SmtpTestClient> clients = new ArrayList<>();
            try {
                for (int i = 0; i < sessions; i++) {
                    clients.add(session(server));
                }
                // Every guess is sent before any is checked (the directory holds them at the gate).
                for (SmtpTestClient client : clients) {
                    client.send(plain("alice", "guess"));
                }
                // Seven are refused at once, unchecked; three are reserved and wait for the directory.
                List<SmtpTestClient> waiting = new ArrayList<>(clients);
                long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
                while (waiting.size() > 3) {
                    assertThat(System.nanoTime()).as("refusals so far: %d", sessions - waiting.size())
                            .isLessThan(deadline);
                    for (SmtpTestClient client : List.copyOf(waiting)) {
                        if (client.available() > 0) {
                            assertThat(client.readLine()).isEqualTo(LOCKED);
                            waiting.remove(client);
                        }
                    }
                    Thread.sleep(5);
                }
                gate.countDown();
                for (SmtpTestClient client : waiting) {
                    assertThat(client.readLine()).startsWith("535 5.7.8");
                }
                // Three failures: now alice is locked even with her password, for every session.
                SmtpTestClient next = clients.getFirst();
                next.send(plain("alice", "secret"));
                assertThat(next.readLine()).isEqualTo(LOCKED);
            } finally {
                for (SmtpTestClient client : clients) {
                    client.close();
                }
            }
        }
    }

    @Test
    void aDelayedAnswerDoesNotHoldTheEventLoop() throws Exception {
        // One event loop thread serves every session of this server; the second failure of the network waits a minute.
        String yaml = SmtpTestServer.yaml("submission", "none", "auth: {allowPlaintextOnLoopback: true, throttle: "
                + "{delayAfterFailures: 1, initialDelay: 1m, maxDelay: 1m}}\n");
        try (SmtpTestServer server = new SmtpTestServer(yaml, dir, MapDirectory.fixture());
             SmtpTestClient slowed = session(server)) {
            slowed.send(plain("alice", "typo"));
            assertThat(slowed.readLine()).startsWith("535 5.7.8");
            slowed.send(plain("alice", "secret"));
            slowed.send("NOOP");
            long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
            while (server.meters.find("postern.auth.throttle.delays").timer() == null
                    || server.meters.get("postern.auth.throttle.delays").timer().count() == 0) {
                assertThat(System.nanoTime()).as("the delay was never decided").isLessThan(deadline);
                Thread.sleep(5);
            }
            try (SmtpTestClient other = session(server)) {
                other.send("NOOP");
                assertThat(other.readLine()).startsWith("250 ");
            }
            // The other session was served while this one still waits (its reply and the pipelined NOOP held back).
            assertThat(slowed.available()).isZero();
            assertThat(server.meters.get("postern.auth.throttle.delays").timer().totalTime(
                    java.util.concurrent.TimeUnit.SECONDS)).isEqualTo(60.0);
        }
    }
}
