package io.postern.server;

import static org.assertj.core.api.Assertions.assertThat;

import io.postern.config.ConfigLoader;
import io.postern.config.PosternConfig;
import io.postern.config.SecretResolver;
import io.postern.testing.Await;
import io.postern.testing.MapDirectory;
import io.postern.smtp.SmtpTestClient;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A node's SMTP path wired end to end: accepted into the queue, delivered into the Maildir; an outage is 451. */
class PosternServerSmtpTest {
    @TempDir
    Path dir;

    private PosternConfig config(int mx, int lmtp) {
        return new ConfigLoader(new SecretResolver(Map.of())).parse("""
                node: {hostname: mx.test}
                admin: {enabled: false}
                listeners:
                  - {kind: mx, port: %d}
                  - {kind: lmtp, port: %d}
                directory: {urls: ['ldap://127.0.0.1:1'], baseDn: 'dc=example,dc=com'}
                domains: [example.com]
                """.formatted(mx, lmtp), dir, "test.yaml");
    }

    private static int freePort() throws Exception {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    @Test
    void servesMxAndLmtpWhenGivenTheirParts() throws Exception {
        int mx = freePort();
        int lmtp = freePort();
        try (PosternServer server = PosternServer.start(config(mx, lmtp), Optional.of(MapDirectory.fixture()))) {
            try (SmtpTestClient client = new SmtpTestClient(mx)) {
                assertThat(client.readLine()).isEqualTo("220 mx.test ESMTP Postern");
                client.send("EHLO c.test");
                assertThat(client.reply()).isEqualTo("250 DSN");
                client.send("MAIL FROM:<s@remote.test>");
                client.readLine();
                client.send("RCPT TO:<alice@example.com>");
                assertThat(client.readLine()).startsWith("250 2.1.5");
                client.send("DATA");
                client.readLine();
                client.send("hi");
                client.send(".");
                assertThat(client.readLine()).startsWith("250 2.0.0 Ok: queued as");
            }
            try (SmtpTestClient client = new SmtpTestClient(lmtp)) {
                assertThat(client.readLine()).isEqualTo("220 mx.test LMTP Postern");
            }
            Path inbox = dir.resolve("var/spool/example.com/alice/new");
            Await.untilNoException("the message in alice's Maildir", () -> listed(inbox) == 1);
            assertThat(listed(inbox)).as("the queued message is delivered into alice's Maildir").isEqualTo(1);
        }
    }

    private static long listed(Path folder) throws java.io.IOException {
        if (!java.nio.file.Files.isDirectory(folder)) {
            return 0;
        }
        try (var files = java.nio.file.Files.list(folder)) {
            return files.count();
        }
    }

    @Test
    void anUnreachableDirectoryIsATemporaryFailureNeverAnUnknownUser() throws Exception {
        int mx = freePort();
        int lmtp = freePort();
        try (PosternServer server = PosternServer.start(config(mx, lmtp));
             SmtpTestClient client = new SmtpTestClient(mx)) {
            assertThat(client.readLine()).isEqualTo("220 mx.test ESMTP Postern");
            client.send("EHLO c.test");
            client.reply();
            client.send("MAIL FROM:<s@remote.test>");
            client.readLine();
            client.send("RCPT TO:<alice@example.com>");
            assertThat(client.readLine()).startsWith("451 4.4.3");
        }
    }
}
