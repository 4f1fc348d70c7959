package io.postern.server;

import static org.assertj.core.api.Assertions.assertThat;

import io.postern.config.ConfigLoader;
import io.postern.config.PosternConfig;
import io.postern.config.SecretResolver;
import io.postern.testing.MapDirectory;
import io.postern.smtp.SmtpTestClient;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Connection caps belong to each listener, as the server wires them: a full MX port leaves
 * submission and LMTP answering, a full POP3 port leaves the other POP3 port answering, and a
 * listener's own caps override the protocol's defaults.
 */
class PosternServerListenerLimitsTest {
    @TempDir
    Path dir;

    private final List<SmtpTestClient> open = new ArrayList<>();

    private static int freePort() throws Exception {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    private PosternConfig config(int mx, int submission, int lmtp, int pop3, int pop3s) {
        return new ConfigLoader(new SecretResolver(Map.of())).parse("""
                node: {hostname: mx.test}
                admin: {enabled: false}
                listeners:
                  - {kind: mx, port: %d}
                  - {kind: submission, port: %d}
                  - {kind: lmtp, port: %d, maxConnectionsPerClient: 4}
                  - {kind: pop3, name: pop3, port: %d}
                  - {kind: pop3, name: pop3-other, port: %d}
                directory: {urls: ['ldap://127.0.0.1:1'], baseDn: 'dc=example,dc=com'}
                domains: [example.com]
                smtp: {maxConnectionsPerClient: 2}
                pop3: {maxConnectionsPerClient: 2}
                spool: {root: spool}
                """.formatted(mx, submission, lmtp, pop3, pop3s), dir, "test.yaml");
    }

    /** A connection that stays open for the rest of the test; its first line. */
    private String connect(int port) throws Exception {
        SmtpTestClient client = new SmtpTestClient(port);
        open.add(client);
        return client.readLine();
    }

    @AfterEach
    void closeAll() throws Exception {
        for (SmtpTestClient client : open) {
            client.close();
        }
        open.clear();
    }

    @Test
    void aFullListenerDoesNotRefuseConnectionsOnAnother() throws Exception {
        int mx = freePort();
        int submission = freePort();
        int lmtp = freePort();
        int pop3 = freePort();
        int pop3s = freePort();
        try (PosternServer server = PosternServer.start(config(mx, submission, lmtp, pop3, pop3s),
                Optional.of(MapDirectory.fixture()))) {
            // Each greeting is read before the next connection: the count is settled in order.
            assertThat(connect(mx)).startsWith("220 mx.test ESMTP");
            assertThat(connect(mx)).startsWith("220 mx.test ESMTP");
            assertThat(connect(mx)).isEqualTo("421 4.7.0 mx.test too many connections, try again later");

            assertThat(connect(submission)).startsWith("220 mx.test ESMTP");
            assertThat(connect(submission)).startsWith("220 mx.test ESMTP");
            assertThat(connect(submission)).startsWith("421 4.7.0 ");

            for (int i = 0; i < 4; i++) {
                assertThat(connect(lmtp)).as("LMTP connection %d of its own cap of 4", i + 1)
                        .isEqualTo("220 mx.test LMTP Postern");
            }
            assertThat(connect(lmtp)).startsWith("421 4.7.0 ");

            assertThat(connect(pop3)).startsWith("+OK");
            assertThat(connect(pop3)).startsWith("+OK");
            assertThat(connect(pop3)).isEqualTo("-ERR [SYS/TEMP] Too many connections, try again later");
            assertThat(connect(pop3s)).startsWith("+OK");
        } finally {
            // Before the server stops, or it drains these sessions for node.drainTimeout.
            closeAll();
        }
    }
}
