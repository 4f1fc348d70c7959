package io.postern.server;

import static org.assertj.core.api.Assertions.assertThat;

import io.postern.config.ConfigLoader;
import io.postern.config.PosternConfig;
import io.postern.config.SecretResolver;
import io.postern.directory.Recipient;
import io.postern.testing.MapDirectory;
import io.postern.smtp.SmtpTestClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 19, item 4: what local delivery would refuse anyway is refused while the client is still
 * connected, on the real path (MX listener, directory, queue, in-process MDA over a Maildir spool):
 * a full mailbox at RCPT or at the end of data, a Delivered-To loop at the end of data.
 */
class BackscatterRefusalTest {
    @TempDir
    Path base;

    private final MapDirectory directory = new MapDirectory("example.test")
            .mailboxes("alice@example.test", "bob@example.test");
    private PosternConfig config;

    @BeforeEach
    void setUp() throws Exception {
        directory.put(new Recipient.Mailbox(MapDirectory.addr("full@example.test"), "uid=full", Optional.empty(),
                OptionalLong.of(1000), false));
        directory.put(new Recipient.Mailbox(MapDirectory.addr("tight@example.test"), "uid=tight", Optional.empty(),
                OptionalLong.of(1000), false));
        directory.put(new Recipient.Alias(MapDirectory.addr("info@example.test"),
                List.of(MapDirectory.addr("alice@example.test"))));
        // full@ already holds 1000 bytes (Maildir++ reads the size from the name).
        Path fullNew = Files.createDirectories(base.resolve("spool/example.test/full/new"));
        Files.writeString(fullNew.resolve("1700000000.M1P1.host,S=1000"), "x");
        int port;
        try (java.net.ServerSocket free = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            port = free.getLocalPort();
        }
        config = new ConfigLoader(new SecretResolver(Map.of())).parse("""
                node: { hostname: mx.example.test, drainTimeout: 0s }
                listeners:
                  - { name: mx, kind: mx, address: 127.0.0.1, port: %d }
                admin: { enabled: false }
                directory: { urls: ["ldap://127.0.0.1:1"], baseDn: "dc=example,dc=test" }
                domains: [example.test]
                queue: { directory: queue }
                spool: { root: spool }
                delivery: { tempDirectory: lmtp-tmp }
                """.formatted(port), base, "test.yaml");
    }

    private int port() {
        return config.listeners().getFirst().port();
    }

    private static String send(SmtpTestClient c, String line) throws Exception {
        c.send(line);
        return c.reply();
    }

    private static String data(SmtpTestClient c, String... lines) throws Exception {
        assertThat(send(c, "DATA")).startsWith("354");
        for (String line : lines) {
            c.send(line);
        }
        return send(c, ".");
    }

    @Test
    void aFullMailboxIsRefusedAtRcptAndAMessageTooBigForWhatIsLeftAtTheEndOfData() throws Exception {
        try (PosternServer server = PosternServer.start(config, Optional.of(directory));
             SmtpTestClient c = new SmtpTestClient(port())) {
            assertThat(c.reply()).startsWith("220");
            assertThat(send(c, "EHLO client.example.org")).startsWith("250");
            assertThat(send(c, "MAIL FROM:<s@remote.example.org>")).startsWith("250");
            assertThat(send(c, "RCPT TO:<full@example.test>")).isEqualTo("552 5.2.2 Mailbox full");
            assertThat(send(c, "RCPT TO:<alice@example.test>")).startsWith("250");
            assertThat(send(c, "RSET")).startsWith("250");

            assertThat(send(c, "MAIL FROM:<s@remote.example.org> SIZE=5000")).startsWith("250");
            assertThat(send(c, "RCPT TO:<tight@example.test>")).isEqualTo("552 5.2.2 Mailbox full");
            assertThat(send(c, "RSET")).startsWith("250");

            assertThat(send(c, "MAIL FROM:<s@remote.example.org>")).startsWith("250");
            assertThat(send(c, "RCPT TO:<tight@example.test>")).startsWith("250");
            assertThat(data(c, "Subject: big", "", "x".repeat(900), "y".repeat(900)))
                    .isEqualTo("552 5.2.2 Mailbox full");

            assertThat(send(c, "MAIL FROM:<s@remote.example.org>")).startsWith("250");
            assertThat(send(c, "RCPT TO:<tight@example.test>")).startsWith("250");
            assertThat(data(c, "Subject: small", "", "fits")).startsWith("250 2.0.0 Ok: queued as");
            long deadline = System.nanoTime() + 20_000_000_000L;
            while (delivered("tight") == 0 && System.nanoTime() < deadline) {
                Thread.sleep(20);
            }
            assertThat(delivered("tight")).as("the small message reaches the mailbox").isEqualTo(1);
        }
    }

    @Test
    void aDeliveredToLoopIsRefusedAtTheEndOfDataUnlessAnotherRecipientMayGetTheMessage() throws Exception {
        try (PosternServer server = PosternServer.start(config, Optional.of(directory));
             SmtpTestClient c = new SmtpTestClient(port())) {
            assertThat(c.reply()).startsWith("220");
            assertThat(send(c, "EHLO client.example.org")).startsWith("250");
            assertThat(send(c, "MAIL FROM:<s@remote.example.org>")).startsWith("250");
            assertThat(send(c, "RCPT TO:<alice@example.test>")).startsWith("250");
            assertThat(data(c, "Delivered-To: alice@example.test", "Subject: came back", "", "loop"))
                    .isEqualTo("554 5.4.6 Mail forwarding loop: the message was already delivered to this mailbox");

            // Through an alias, and in the obsolete form with white space before the colon.
            assertThat(send(c, "MAIL FROM:<s@remote.example.org>")).startsWith("250");
            assertThat(send(c, "RCPT TO:<info@example.test>")).startsWith("250");
            assertThat(data(c, "Delivered-To : Alice@Example.test", "Subject: came back", "", "loop"))
                    .startsWith("554 5.4.6");

            // bob may get it: SMTP answers the message once, so it is accepted (alice's copy bounces).
            assertThat(send(c, "MAIL FROM:<s@remote.example.org>")).startsWith("250");
            assertThat(send(c, "RCPT TO:<alice@example.test>")).startsWith("250");
            assertThat(send(c, "RCPT TO:<bob@example.test>")).startsWith("250");
            assertThat(data(c, "Delivered-To: alice@example.test", "Subject: partly", "", "half"))
                    .startsWith("250 2.0.0");
        }
    }

    private long delivered(String user) throws Exception {
        Path dir = base.resolve("spool/example.test").resolve(user).resolve("new");
        if (!Files.isDirectory(dir)) {
            return 0;
        }
        try (var files = Files.list(dir)) {
            return files.count();
        }
    }
}
