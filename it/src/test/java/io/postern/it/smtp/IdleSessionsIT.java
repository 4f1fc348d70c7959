package io.postern.it.smtp;

import static org.assertj.core.api.Assertions.assertThat;

import io.postern.it.support.ExternalProcess;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Benchmark-style check: 10,000 idle SMTP sessions held by one node JVM (-Xmx256m, or the flags in
 * the system property idle.nodeJvm). Prints the
 * heap used after a GC and the node's RSS; fails only if sessions are refused or the node dies.
 */
class IdleSessionsIT {
    private static final int SESSIONS = 10_000;

    @TempDir
    Path dir;

    @Test
    void holdsTenThousandIdleSessions() throws Exception {
        Path nodeDir = Files.createDirectories(dir.resolve("node"));
        String javaBin = Path.of(System.getProperty("java.home"), "bin").toString();
        String yaml = "smtp: {maxConnections: 20000, maxConnectionsPerClient: 20000, idleTimeout: 10m}\n";
        List<Socket> sockets = new ArrayList<>();
        // -Didle.nodeJvm="flags" compares JVM flag sets (docs/benchmarks.md, "JVM flags").
        List<String> command = new ArrayList<>(List.of(javaBin + "/java"));
        command.addAll(List.of(System.getProperty("idle.nodeJvm", "-Xmx256m").strip().split("\\s+")));
        command.addAll(List.of("-cp", System.getProperty("java.class.path"), SmtpItMain.class.getName(),
                nodeDir.toString(), yaml));
        try (ExternalProcess node = ExternalProcess.start("node", dir, command)) {
            node.awaitReady(Duration.ofSeconds(30), () -> port(node) > 0);
            int port = port(node);
            long rssBefore = rssKb(node.pid());
            long start = System.nanoTime();
            byte[] greeting = new byte[5];
            for (int i = 0; i < SESSIONS; i++) {
                Socket s = new Socket();
                s.connect(new InetSocketAddress("127.0.0.1", port), 5000);
                s.setSoTimeout(10_000);
                sockets.add(s);
                InputStream in = s.getInputStream();
                int read = 0;
                while (read < 4) {
                    read += in.read(greeting, read, 4 - read);
                }
                assertThat(new String(greeting, 0, 4)).as("session " + i).isEqualTo("220 ");
            }
            long millis = Duration.ofNanos(System.nanoTime() - start).toMillis();
            ExternalProcess.Result heap = ExternalProcess.run(dir, Duration.ofSeconds(30),
                    List.of(javaBin + "/jcmd", String.valueOf(node.pid()), "GC.heap_info"));
            ExternalProcess.run(dir, Duration.ofSeconds(30), List.of(javaBin + "/jcmd", String.valueOf(node.pid()), "GC.run"));
            ExternalProcess.Result afterGc = ExternalProcess.run(dir, Duration.ofSeconds(30),
                    List.of(javaBin + "/jcmd", String.valueOf(node.pid()), "GC.heap_info"));
            long rss = rssKb(node.pid());
            System.out.println("idle-sessions: " + SESSIONS + " greeted in " + millis + " ms; node RSS " + rssBefore / 1024
                    + " MiB -> " + rss / 1024 + " MiB; heap after GC: "
                    + afterGc.output().lines().filter(l -> l.contains("used")).findFirst().orElse(heap.output()).strip());
            assertThat(node.isAlive()).isTrue();
        } finally {
            for (Socket s : sockets) {
                s.close();
            }
        }
    }

    private static long rssKb(long pid) throws Exception {
        return Files.readAllLines(Path.of("/proc/" + pid + "/status")).stream().filter(l -> l.startsWith("VmRSS"))
                .map(l -> Long.parseLong(l.replaceAll("[^0-9]", ""))).findFirst().orElse(-1L);
    }

    private static int port(ExternalProcess node) {
        try {
            return node.logText().lines().filter(l -> l.startsWith("READY ")).findFirst()
                    .map(l -> Integer.parseInt(l.substring(6).strip())).orElse(-1);
        } catch (java.io.IOException e) {
            return -1;
        }
    }
}
