package io.postern.it.queue;

import static org.assertj.core.api.Assertions.assertThat;

import io.postern.it.support.ExternalProcess;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code kill -9} of a real JVM accepting mail through the queue, twice (under load, then while
 * draining), then a restart that drains: every acknowledged message reaches each recipient
 * exactly once, and nothing that was not committed (aborted, or still being written) is delivered.
 */
class CrashRecoveryIT {
    @TempDir
    Path work;

    private ExternalProcess child(String name, String... args) throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> command = new java.util.ArrayList<>(List.of(java, "-Xmx256m", "-cp",
                System.getProperty("java.class.path"), CrashChild.class.getName()));
        command.addAll(List.of(args));
        return ExternalProcess.start(name, work, command);
    }

    private static long lines(Path file) throws java.io.IOException {
        if (!Files.exists(file)) {
            return 0;
        }
        try (var lines = Files.lines(file)) {
            return lines.count();
        }
    }

    private static long count(ExternalProcess p, String prefix) throws Exception {
        return p.logText().lines().filter(l -> l.startsWith(prefix)).count();
    }

    @Test
    void killNineLosesNothingAcknowledgedAndDeliversNothingElse() throws Exception {
        Path queue = work.resolve("queue");
        Path deliveries = work.resolve("deliveries.txt");

        ExternalProcess load = child("accept", "accept", queue.toString(), deliveries.toString(), "20000", "16");
        load.awaitReady(Duration.ofSeconds(60), () -> {
            try {
                return count(load, "ACK ") >= 1500;
            } catch (Exception e) {
                return false;
            }
        });
        load.kill(); // SIGKILL, mid-load
        String acceptLog = load.logText();
        assertThat(acceptLog).doesNotContain("ALL-ACKED");

        long deliveredBefore = lines(deliveries);
        ExternalProcess drain1 = child("drain1", "drain", queue.toString(), deliveries.toString());
        // Killed once it has delivered some of the backlog (not after a guessed time): mid-delivery.
        drain1.awaitReady(Duration.ofSeconds(120), () -> {
            try {
                return lines(deliveries) >= deliveredBefore + 50 || drain1.logText().contains("DRAINED");
            } catch (Exception e) {
                return false;
            }
        });
        drain1.kill(); // SIGKILL again, while delivering

        ExternalProcess drain2 = child("drain2", "drain", queue.toString(), deliveries.toString());
        drain2.awaitReady(Duration.ofSeconds(120), () -> {
            try {
                return drain2.logText().contains("DRAINED");
            } catch (Exception e) {
                return false;
            }
        });
        assertThat(drain2.logText()).doesNotContain("NOT-DRAINED");
        drain2.close();

        Set<String> acked = new HashSet<>();
        Set<String> begun = new HashSet<>();
        Set<String> aborted = new HashSet<>();
        for (String line : acceptLog.lines().toList()) {
            String[] f = line.split(" ");
            switch (f[0]) {
                case "ACK" -> acked.add(f[1]);
                case "BEGIN" -> begun.add(f[1]);
                case "ABORTED" -> aborted.add(f[1]);
                default -> { }
            }
        }
        Map<String, Integer> delivered = new HashMap<>();
        for (String line : Files.readAllLines(deliveries)) {
            String[] f = line.split(" ");
            delivered.merge(f[0] + " " + f[1], 1, Integer::sum);
        }
        long reoffers = (load.logText() + drain1.logText() + drain2.logText()).lines()
                .filter(l -> l.startsWith("REOFFER")).count();
        long inDoubt = begun.stream().filter(n -> !acked.contains(n)).count();
        long inDoubtDelivered = begun.stream().filter(n -> !acked.contains(n))
                .filter(n -> delivered.containsKey(n + " r1@a.example")).count();
        System.out.printf("crash test: acked=%d begun-not-acked=%d (of which delivered %d) aborted=%d"
                        + " deliveries=%d re-offers-after-crash=%d%n", acked.size(), inDoubt, inDoubtDelivered,
                aborted.size(), delivered.size(), reoffers);

        assertThat(acked).hasSizeGreaterThanOrEqualTo(1500);
        for (String n : acked) {
            assertThat(delivered.get(n + " r1@a.example")).as("message " + n + " to r1").isEqualTo(1);
            assertThat(delivered.get(n + " r2@b.example")).as("message " + n + " to r2").isEqualTo(1);
        }
        for (String key : delivered.keySet()) {
            String n = key.split(" ")[0];
            assertThat(begun).as("delivered %s was never committed", key).contains(n);
            assertThat(aborted).doesNotContain(n);
            assertThat(delivered.get(key)).as(key).isEqualTo(1);
        }
        try (var s = Files.list(queue.resolve("messages"))) {
            assertThat(s.toList()).isEmpty();
        }
        try (var s = Files.list(queue.resolve("tmp"))) {
            assertThat(s.toList()).isEmpty();
        }
    }
}
