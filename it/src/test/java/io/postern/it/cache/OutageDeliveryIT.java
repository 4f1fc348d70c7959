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
 * jar in its own JVM in front of a real slapd (ldif/demo.ldif), swaks sending a small bounded
 * load. With slapd killed, known recipients never get a 5xx; mail whose expansion is cached (bob)
 * is written into the Maildir while slapd is still down; the rest (the alias info, cached, whose
 * target alice was evicted by a change just before the outage) is accepted and delivered once
 * slapd is back; nothing is lost and nothing is written twice.
 */
class OutageDeliveryIT {
    private static final int ROUNDS = 5;

    @TempDir
    Path dir;

    private Path spool;

    @Test
    void mailAcceptedDuringAnOutageIsDeliveredDuringTheOutageWhenCachedAndAfterItOtherwise() throws Exception {
        try (CacheSlapd slapd = CacheSlapd.start(dir.resolve("slapd"), Ports.free(),
                PosternProcess.checkout().resolve("ldif/demo.ldif"))) {
            int mx = Ports.free();
            int admin = Ports.free();
            Path home = Files.createDirectories(dir.resolve("node"));
            spool = home.resolve("spool");
            Path config = Files.writeString(home.resolve("postern.yaml"), """
                    node: { hostname: mx.example.test, drainTimeout: 2s }
                    listeners:
                      - { name: mx, kind: mx, port: %d }
                    admin: { port: %d, queueApi: { enabled: false } }
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
                    queue: { directory: queue }
                    spool: { root: spool }
                    """.formatted(mx, admin, slapd.url(), CacheSlapd.BASE, CacheSlapd.ADMIN, CacheSlapd.PASSWORD));
            try (ExternalProcess node = PosternProcess.start("node", home, "serve", "--config", config.toString())) {
                node.awaitLog(Duration.ofSeconds(60), "event=started");

                // Before the outage: alice receives mail; bob and the alias info are asked about at RCPT
                // (which expands info to alice: everything is cached).
                assertThat(swaks(mx, "alice@example.test", "warm-alice")).contains("<-  250 2.0.0");
                await(node, "the warm-up message in alice's Maildir", Duration.ofSeconds(30),
                        () -> subjects("alice").contains("warm-alice"));
                assertThat(swaks(mx, "bob@example.test", "warm-bob", "--quit-after", "RCPT")).contains("<-  250 2.1.5");
                assertThat(swaks(mx, "info@example.test", "warm-info", "--quit-after", "RCPT"))
                        .contains("<-  250 2.1.5");
                // A change to alice's entry evicts alice (and team, which contains her), not the alias
                // info, whose own entry did not change: info is answered during the outage, its target not.
                slapd.modify("""
                        dn: uid=alice,ou=people,dc=example,dc=test
                        changetype: modify
                        replace: userPassword
                        userPassword: alice-pw
                        """);
                await(node, "the change to alice pushed to the cache", Duration.ofSeconds(30),
                        () -> metric(admin, "postern_directory_changes_total", "kind=\"modify\"") >= 1);

                slapd.kill();
                List<String> accepted = new ArrayList<>();
                for (int i = 0; i < ROUNDS; i++) {
                    accepted.add(swaks(mx, "bob@example.test", "outage-bob-" + i));
                    accepted.add(swaks(mx, "info@example.test", "outage-info-" + i));
                }
                assertThat(accepted).as("cached recipients during the outage; node log:\n" + tail(node))
                        .allSatisfy(r -> assertThat(r).contains("<-  250 2.0.0").doesNotContainPattern("<\\*\\* 5"));
                for (String notCached : List.of("team@example.test", "alice@example.test")) {
                    assertThat(swaks(mx, notCached, "outage-" + notCached)).as(notCached + ": known, not cached now")
                            .contains("<** 451 4.4.3").doesNotContainPattern("<\\*\\* 5");
                }

                // Delivered while slapd is still down: the bytes are in bob's Maildir.
                List<String> forBob = new ArrayList<>();
                List<String> forAlice = new ArrayList<>(List.of("warm-alice"));
                for (int i = 0; i < ROUNDS; i++) {
                    forBob.add("outage-bob-" + i);
                    forAlice.add("outage-info-" + i);
                }
                await(node, "bob's mail delivered during the outage", Duration.ofSeconds(30),
                        () -> subjects("bob").containsAll(forBob));
                assertThat(slapd.isAlive()).as("slapd still down").isFalse();
                assertThat(subjects("alice")).as("alice is not cached: info's mail waits for the directory")
                        .containsExactly("warm-alice");

                long restarted = System.nanoTime();
                slapd.start();
                // The default retry schedule (first retry minutes away) and five deferrals for one
                // domain: delivered within seconds anyway, because a directory deferral is retried as
                // soon as the directory answers and never puts the domain into backoff.
                await(node, "info's mail for alice after recovery", Duration.ofSeconds(20),
                        () -> subjects("alice").containsAll(forAlice));
                System.out.printf("mail deferred for the directory delivered %d ms after slapd was started again%n",
                        Duration.ofNanos(System.nanoTime() - restarted).toMillis());

                // Nothing lost, nothing twice.
                assertThat(subjects("alice")).containsExactlyInAnyOrderElementsOf(forAlice);
                assertThat(subjects("bob")).containsExactlyInAnyOrderElementsOf(forBob);
            }
        }
    }

    /** The value of the first Prometheus sample of {@code name} with the label {@code label}, 0 when absent. */
    private static double metric(int admin, String name, String label) {
        try (var http = java.net.http.HttpClient.newHttpClient()) {
            var response = http.send(java.net.http.HttpRequest.newBuilder(
                    java.net.URI.create("http://127.0.0.1:" + admin + "/metrics")).build(),
                    java.net.http.HttpResponse.BodyHandlers.ofString());
            String body = response.body();
            return body.lines().filter(l -> l.startsWith(name + "{") && l.contains(label)).findFirst()
                    .map(l -> Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1))).orElse(0.0);
        } catch (IOException e) {
            return 0;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return 0;
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
