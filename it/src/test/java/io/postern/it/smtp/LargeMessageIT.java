package io.postern.it.smtp;

import static org.assertj.core.api.Assertions.assertThat;

import io.postern.it.support.ExternalProcess;
import java.io.BufferedOutputStream;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Streaming: a 100 MB message goes through a node whose JVM has a 64 MB heap, and the stored file
 * has every byte (minus the dot-stuffing). Prints the elapsed time and the node's peak RSS.
 */
class LargeMessageIT {
    @TempDir
    Path dir;

    @Test
    void hundredMegabytesThroughASixtyFourMegabyteHeap() throws Exception {
        Path nodeDir = Files.createDirectories(dir.resolve("node"));
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        try (ExternalProcess node = ExternalProcess.start("node", dir, List.of(java, "-Xmx64m",
                "-cp", System.getProperty("java.class.path"), SmtpItMain.class.getName(), nodeDir.toString()))) {
            node.awaitReady(Duration.ofSeconds(30), () -> readyPort(node) > 0);
            int port = readyPort(node);
            int lines = 105_000;
            byte[] line = ("." + "x".repeat(996) + "\r\n").getBytes(StandardCharsets.US_ASCII);
            long start = System.nanoTime();
            try (Socket socket = new Socket("127.0.0.1", port)) {
                socket.setSoTimeout(60_000);
                BufferedReader in = new BufferedReader(new InputStreamReader(socket.getInputStream(), StandardCharsets.US_ASCII));
                OutputStream out = new BufferedOutputStream(socket.getOutputStream(), 1 << 16);
                assertThat(in.readLine()).startsWith("220 ");
                out.write(("EHLO big.test\r\nMAIL FROM:<s@remote.test> SIZE=" + (long) lines * line.length
                        + "\r\nRCPT TO:<alice@example.com>\r\nDATA\r\n").getBytes(StandardCharsets.US_ASCII));
                out.flush();
                String reply;
                do {
                    reply = in.readLine();
                } while (reply != null && !reply.startsWith("354"));
                assertThat(reply).startsWith("354");
                out.write("Subject: big\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
                for (int i = 0; i < lines; i++) {
                    out.write(line);
                }
                out.write(".\r\n".getBytes(StandardCharsets.US_ASCII));
                out.flush();
                assertThat(in.readLine()).startsWith("250 2.0.0 Ok: queued as");
            }
            long millis = Duration.ofNanos(System.nanoTime() - start).toMillis();
            Path stored;
            try (var files = Files.list(nodeDir.resolve("accepted"))) {
                stored = files.findFirst().orElseThrow();
            }
            long body = (long) lines * (line.length - 1);
            assertThat(Files.size(stored)).isGreaterThan(body).isLessThan(body + 1000);
            String status = Files.readString(Path.of("/proc/" + node.pid() + "/status"));
            String peak = status.lines().filter(l -> l.startsWith("VmHWM")).findFirst().orElse("?");
            System.out.println("large-message: 105,000 lines (100 MiB) in " + millis + " ms, node -Xmx64m, " + peak.replaceAll("\\s+", " "));
            assertThat(node.isAlive()).isTrue();
        }
    }

    private static int readyPort(ExternalProcess node) {
        try {
            return node.logText().lines().filter(l -> l.startsWith("READY ")).findFirst()
                    .map(l -> Integer.parseInt(l.substring(6).strip())).orElse(-1);
        } catch (java.io.IOException e) {
            return -1;
        }
    }
}
