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
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two processes append to one mbox at the same time: the dot-lock and the fcntl lock must keep
 * every message whole and separate. Every message is found once with its body digest intact.
 */
class SharedMboxIT {
    private static final int PER_NODE = 200;

    @TempDir
    Path work;

    @Test
    void twoProcessesAppendToOneMboxWithoutInterleaving() throws Exception {
        Path root = work.resolve("spool");
        Path go = work.resolve("go");
        String java = ProcessHandle.current().info().command().orElse("java");
        List<ExternalProcess> nodes = new ArrayList<>();
        for (String host : List.of("node-a.test", "node-b.test")) {
            nodes.add(ExternalProcess.start(host, work, List.of(java, "-cp", System.getProperty("java.class.path"),
                    MaildirWriterMain.class.getName(), root.toString(), host, String.valueOf(PER_NODE), go.toString(),
                    "MBOX")));
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

        String mbox = Files.readString(root.resolve("example.test/alice"), StandardCharsets.US_ASCII);
        assertThat(root.resolve("example.test/alice.lock")).doesNotExist();
        String[] messages = ("\n\n" + mbox).split("\n\nFrom sender@remote\\.test ", -1);
        assertThat(messages[0]).isEmpty();
        assertThat(messages).hasSize(2 * PER_NODE + 1);
        Set<String> ids = new HashSet<>();
        for (int i = 1; i < messages.length; i++) {
            String message = messages[i];
            String id = header(message, "X-Test-Id");
            String body = message.substring(message.indexOf("\n\n") + 2);
            if (i == messages.length - 1) {
                body = body.substring(0, body.length() - 2); // the last line end and the separator line
            }
            // The split ate each message's last line end: put it back, in the stored (CRLF) form.
            String crlfBody = body.replace("\n", "\r\n") + "\r\n";
            assertThat(HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256")
                    .digest(crlfBody.getBytes(StandardCharsets.US_ASCII)))).as("body of " + id)
                    .isEqualTo(header(message, "X-Body-Sha256"));
            assertThat(ids.add(id)).as("duplicate " + id).isTrue();
        }
        assertThat(ids).hasSize(2 * PER_NODE);
    }

    private static String header(String text, String name) {
        int start = text.indexOf("\n" + name + ": ") + name.length() + 3;
        return text.substring(start, text.indexOf("\n", start));
    }
}
