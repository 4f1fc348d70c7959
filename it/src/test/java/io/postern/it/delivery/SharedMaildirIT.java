package io.postern.it.delivery;

import static org.assertj.core.api.Assertions.assertThat;

import io.postern.it.support.ExternalProcess;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two nodes (two JVM processes with different host names) deliver 500 messages each into the
 * same Maildir at the same time, as delivery workers on shared storage do. Afterwards every
 * message is there exactly once, whole (its body digest matches), under a name whose {@code ,S=}
 * is its size, and nothing is left in {@code tmp/}.
 */
class SharedMaildirIT {
    private static final int PER_NODE = 500;
    private static final Pattern NAME = Pattern.compile("\\d+\\.M\\d+P\\d+Q\\d+R[0-9a-f]{8}\\.(node-[ab])\\.test,S=(\\d+)");

    @TempDir
    Path work;

    @Test
    void twoProcessesWriteOneMaildirWithNoLostOrBrokenMessage() throws Exception {
        Path root = work.resolve("spool");
        Path go = work.resolve("go");
        String java = ProcessHandle.current().info().command().orElse("java");
        String classpath = System.getProperty("java.class.path");
        List<ExternalProcess> nodes = new ArrayList<>();
        for (String host : List.of("node-a.test", "node-b.test")) {
            nodes.add(ExternalProcess.start(host, work, List.of(java, "-cp", classpath,
                    MaildirWriterMain.class.getName(), root.toString(), host, String.valueOf(PER_NODE), go.toString())));
        }
        try {
            for (ExternalProcess node : nodes) { // both JVMs up and polling: the writes really overlap
                node.awaitLog(Duration.ofSeconds(120), "WAITING for ");
            }
            Files.createFile(go);
            for (ExternalProcess node : nodes) {
                node.awaitReady(Duration.ofSeconds(120), () -> !node.isAlive());
                assertThat(node.logText()).contains("delivered " + PER_NODE + " of " + PER_NODE);
            }
        } finally {
            for (ExternalProcess node : nodes) {
                node.close();
            }
        }

        Path maildir = root.resolve("example.test/alice");
        assertThat(maildir.resolve("tmp")).isEmptyDirectory();
        Set<String> ids = new HashSet<>();
        int[] perHost = new int[2];
        List<Path> files;
        try (Stream<Path> list = Files.list(maildir.resolve("new"))) {
            files = list.toList();
        }
        assertThat(files).hasSize(2 * PER_NODE);
        for (Path file : files) {
            Matcher m = NAME.matcher(file.getFileName().toString());
            assertThat(m.matches()).as(file.getFileName().toString()).isTrue();
            byte[] bytes = Files.readAllBytes(file);
            assertThat((long) bytes.length).as("S= of " + file.getFileName()).isEqualTo(Long.parseLong(m.group(2)));
            String text = new String(bytes, StandardCharsets.US_ASCII);
            assertThat(text).startsWith("Return-Path: <sender@remote.test>\r\nDelivered-To: alice@example.test\r\n"
                    + "X-Test-Id: " + m.group(1).substring(0, 6));
            String id = header(text, "X-Test-Id");
            String digest = header(text, "X-Body-Sha256");
            byte[] body = text.substring(text.indexOf("\r\n\r\n") + 4).getBytes(StandardCharsets.US_ASCII);
            assertThat(HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(body)))
                    .as("body of " + id).isEqualTo(digest);
            assertThat(ids.add(id)).as("duplicate " + id).isTrue();
            perHost[m.group(1).equals("node-a") ? 0 : 1]++;
        }
        assertThat(perHost).containsExactly(PER_NODE, PER_NODE);
        for (int i = 0; i < PER_NODE; i++) {
            assertThat(ids).contains("node-a.test-" + i, "node-b.test-" + i);
        }
    }

    private static String header(String text, String name) {
        int start = text.indexOf("\r\n" + name + ": ") + name.length() + 4;
        return text.substring(start, text.indexOf("\r\n", start));
    }
}
