package io.postern.it.pop3;

import static org.assertj.core.api.Assertions.assertThat;

import io.postern.config.AuthConfig;
import io.postern.config.TlsMode;
import io.postern.it.support.ExternalProcess;
import io.postern.testing.Await;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two Postern nodes (this JVM and a second JVM) serving the same spool folder, as two pods on
 * one ReadWriteMany volume: one session per mailbox across both; a killed holder's lock expires
 * after its lease.
 */
class Pop3ClusterIT {
    private static final Duration LEASE = Duration.ofSeconds(3);

    @TempDir
    Path dir;

    private static List<String> files(Path folder) throws Exception {
        try (Stream<Path> list = Files.list(folder)) {
            return list.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    private ExternalProcess startSecondJvm(Path spool) throws Exception {
        String java = ProcessHandle.current().info().command().orElse("java");
        ExternalProcess process = ExternalProcess.start("node-b", dir.resolve("node-b"), List.of(java,
                "--enable-native-access=ALL-UNNAMED", "-cp", System.getProperty("java.class.path"),
                Pop3Node.class.getName(), spool.toString(), "node-b", Long.toString(LEASE.toMillis()),
                dir.resolve("tls").toString()));
        process.awaitReady(Duration.ofSeconds(30), () -> {
            try {
                return process.logText().contains("READY ");
            } catch (Exception e) {
                return false;
            }
        });
        return process;
    }

    /** The {@code expires=} epoch millis of a lock file's content. */
    private static long expiresOf(String lock) {
        return java.util.Arrays.stream(lock.trim().split(" ")).filter(p -> p.startsWith("expires="))
                .mapToLong(p -> Long.parseLong(p.substring("expires=".length()))).findFirst().orElseThrow();
    }

    private static int portOf(ExternalProcess process) throws Exception {
        Matcher m = Pattern.compile("READY (\\d+)").matcher(process.logText());
        assertThat(m.find()).isTrue();
        return Integer.parseInt(m.group(1));
    }

    @Test
    void oneSessionPerMailboxAcrossNodesAndDeadHoldersExpire() throws Exception {
        Path spool = dir.resolve("spool");
        Path maildir = spool.resolve("example.test/alice");
        for (int i = 1; i <= 3; i++) {
            Pop3Node.deliver(maildir, "170000000" + i + ".M" + i + "P1.node-a", "Subject: " + i + "\n\nbody\n");
        }
        try (ExternalProcess nodeB = startSecondJvm(spool);
             Pop3Node nodeA = new Pop3Node(spool, "node-a", TlsMode.NONE,
                     new AuthConfig(false, true, 100, Duration.ofMinutes(5)), LEASE, dir.resolve("tls"))) {
            int portB = portOf(nodeB);
            // 1. A session on node B; node A refuses the same mailbox with IN-USE; bob is unaffected.
            try (LineClient onB = new LineClient(portB); LineClient onA = new LineClient(nodeA.port())) {
                assertThat(onB.login("alice", "alice-pw")).startsWith("+OK Mailbox locked and ready, 3 messages");
                assertThat(onA.login("alice", "alice-pw")).isEqualTo("-ERR [IN-USE] Mailbox is in use by another POP3 session");
                assertThat(Files.readString(spool.resolve("example.test/alice.pop3.lock"))).startsWith("node=node-b pid=" + nodeB.pid());
                assertThat(onA.login("bob", "bob-pw")).startsWith("+OK Mailbox locked and ready, 0 messages");
                // Held longer than a lease: B's refreshes keep it. Ask A once the first lease has run
                // out and B has written a later expiry (not after a guessed time).
                Path lockFile = spool.resolve("example.test/alice.pop3.lock");
                long firstExpiry = expiresOf(Files.readString(lockFile));
                Await.untilNoException("node B to refresh its lease past the first one's end",
                        () -> System.currentTimeMillis() > firstExpiry
                                && expiresOf(Files.readString(lockFile)) > firstExpiry);
                try (LineClient again = new LineClient(nodeA.port())) {
                    assertThat(again.login("alice", "alice-pw")).startsWith("-ERR [IN-USE]");
                }
                assertThat(onB.command("DELE 1")).startsWith("+OK");
                assertThat(onB.command("QUIT")).isEqualTo("+OK Bye, 1 messages deleted");
            }
            // 2. After B's QUIT, node A serves the mailbox and sees B's deletion.
            try (LineClient onA = new LineClient(nodeA.port())) {
                assertThat(onA.login("alice", "alice-pw")).startsWith("+OK Mailbox locked and ready, 2 messages");
                onA.command("QUIT");
            }
            // 3. Node B dies (SIGKILL) holding the lock with a deletion pending: nothing is deleted,
            //    and node A gets the mailbox once the lease has run out.
            try (LineClient onB = new LineClient(portB)) {
                assertThat(onB.login("alice", "alice-pw")).startsWith("+OK");
                assertThat(onB.command("DELE 1")).startsWith("+OK");
                nodeB.kill();
            }
            long killed = System.nanoTime();
            String reply;
            do {
                try (LineClient onA = new LineClient(nodeA.port())) {
                    reply = onA.login("alice", "alice-pw");
                    if (reply.startsWith("+OK")) {
                        assertThat(onA.command("STAT")).startsWith("+OK 2 ");
                        onA.command("QUIT");
                    }
                }
                if (!reply.startsWith("+OK")) {
                    assertThat(reply).startsWith("-ERR [IN-USE]");
                    Thread.sleep(200);
                }
            } while (!reply.startsWith("+OK") && System.nanoTime() - killed < Duration.ofSeconds(15).toNanos());
            assertThat(reply).startsWith("+OK");
            assertThat(Duration.ofNanos(System.nanoTime() - killed)).isLessThan(LEASE.plusSeconds(2));
            assertThat(files(maildir.resolve("new"))).hasSize(2);
        }
    }
}
