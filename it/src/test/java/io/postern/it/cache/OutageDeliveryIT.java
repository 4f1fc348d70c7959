package io.postern.it.cache;

import static org.assertj.core.api.Assertions.assertThat;

import io.postern.it.support.ExternalProcess;
import io.postern.it.support.Ports;
import io.postern.it.support.PosternProcess;
import io.postern.testing.Await;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 16, "mail keeps flowing through a directory outage", as a user sees it: the real postern
 * jar in its own JVM in front of a real slapd, swaks sending a small bounded load. With slapd
 * killed, known recipients never get a 5xx; mail whose expansion is cached (alice, and the copy of
 * the team group that goes to alice) is written into the Maildir while slapd is still down; the
 * rest (team's copy for bob, whom nobody asked about before the outage) is delivered once slapd is
 * back; nothing is lost and nothing is written twice.
 */
class OutageDeliveryIT {
    private static final int ROUNDS = 5;

    @TempDir
    Path dir;

    private Path spool;

    @Test
    void mailAcceptedDuringAnOutageIsDeliveredDuringTheOutageWhenCachedAndAfterItOtherwise() throws Exception {
        try (CacheSlapd slapd = CacheSlapd.start(dir.resolve("slapd"), Ports.free())) {
            int mx = Ports.free();
            Path home = Files.createDirectories(dir.resolve("node"));
            spool = home.resolve("spool");
            Path config = Files.writeString(home.resolve("postern.yaml"), """
                    node: { hostname: mx.example.test, drainTimeout: 2s }
                    listeners:
                      - { name: mx, kind: mx, port: %d }
                    admin: { enabled: false }
                    directory:
                      profile: openldap
                      urls: [%s]
                      baseDn: %s
                      bindDn: %s
                      bindPassword: %s
                      connectTimeout: 1s
                      responseTimeout: 2s
                    cache: { reconnectMaxBackoff: 500ms }
                    domains: [example.test]
                    queue: { directory: queue, retrySchedule: [2s] }
                    spool: { root: spool }
                    """.formatted(mx, slapd.url(), CacheSlapd.BASE, CacheSlapd.ADMIN, CacheSlapd.PASSWORD));
            try (ExternalProcess node = PosternProcess.start("node", home, "serve", "--config", config.toString())) {
                node.awaitLog(Duration.ofSeconds(60), "event=started");

                // Before the outage: alice and team are asked about at RCPT (and so cached); bob is not.
                assertThat(swaks(mx, "alice@example.test", "warm-alice")).contains("<-  250 2.0.0");
                assertThat(swaks(mx, "team@example.test", "warm-team", "--quit-after", "RCPT"))
                        .contains("<-  250 2.1.5");
                await(node, "the warm-up message in alice's Maildir", Duration.ofSeconds(30),
                        () -> subjects("alice").contains("warm-alice"));

                slapd.kill();
                List<String> replies = new ArrayList<>();
                for (int i = 0; i < ROUNDS; i++) {
                    replies.add(swaks(mx, "alice@example.test", "outage-alice-" + i));
                    replies.add(swaks(mx, "team@example.test", "outage-team-" + i));
                }
                String bob = swaks(mx, "bob@example.test", "outage-bob");
                assertThat(replies).as("known recipients during the outage; node log:\n" + node.logText())
                        .allSatisfy(r -> assertThat(r).contains("<-  250 2.0.0").doesNotContainPattern("<-\\* 5"));
                assertThat(bob).as("never cached: try again later, never a bounce").contains("<-* 451 4.4.3")
                        .doesNotContainPattern("<-\\* 5");

                // Delivered while slapd is still down: the bytes are in alice's Maildir.
                List<String> duringOutage = new ArrayList<>();
                for (int i = 0; i < ROUNDS; i++) {
                    duringOutage.add("outage-alice-" + i);
                    duringOutage.add("outage-team-" + i);
                }
                await(node, "alice's outage mail delivered during the outage", Duration.ofSeconds(30),
                        () -> subjects("alice").containsAll(duringOutage));
                assertThat(subjects("bob")).as("bob was never resolved: nothing for him yet").isEmpty();

                long restarted = System.nanoTime();
                slapd.start();
                List<String> forBob = duringOutage.stream().filter(s -> s.startsWith("outage-team-")).toList();
                await(node, "team's copies for bob after recovery", Duration.ofSeconds(30),
                        () -> subjects("bob").containsAll(forBob));
                System.out.printf("bob's deferred copies delivered %d ms after slapd was started again%n",
                        Duration.ofNanos(System.nanoTime() - restarted).toMillis());

                // Nothing lost, nothing twice.
                List<String> alice = new ArrayList<>(duringOutage);
                alice.add("warm-alice");
                assertThat(subjects("alice")).containsExactlyInAnyOrderElementsOf(alice);
                assertThat(subjects("bob")).containsExactlyInAnyOrderElementsOf(forBob);
            }
        }
    }

    private String swaks(int port, String to, String subject, String... more) throws Exception {
        List<String> command = new ArrayList<>(List.of("swaks", "--server", "127.0.0.1:" + port, "--timeout", "20",
                "--helo", "client.example.org", "--from", "sender@remote.example.org", "--to", to,
                "--header", "Subject: " + subject));
        command.addAll(List.of(more));
        return ExternalProcess.run(dir, Duration.ofSeconds(60), command).output();
    }

    /** The Subject of every message in {@code user}'s Maildir (new/). */
    private List<String> subjects(String user) {
        Path folder = spool.resolve("example.test").resolve(user).resolve("new");
        if (!Files.isDirectory(folder)) {
            return List.of();
        }
        try (Stream<Path> files = Files.list(folder)) {
            List<String> out = new ArrayList<>();
            for (Path file : files.toList()) {
                Files.readString(file).lines().filter(l -> l.startsWith("Subject: ")).findFirst()
                        .ifPresent(l -> out.add(l.substring("Subject: ".length()).strip()));
            }
            return out;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Waits for {@code condition}; on time-out the failure carries the end of the node's log. */
    private static void await(ExternalProcess node, String what, Duration deadline,
                              java.util.function.BooleanSupplier condition) {
        try {
            Await.until(what, deadline, condition);
        } catch (AssertionError e) {
            throw new AssertionError(e.getMessage() + "\nnode log tail:\n" + tail(node), e);
        }
    }

    private static String tail(ExternalProcess node) {
        try {
            String log = node.logText();
            return log.substring(Math.max(0, log.length() - 6000));
        } catch (IOException e) {
            return e.toString();
        }
    }
}
