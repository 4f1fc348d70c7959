package io.postern.server;

import static org.assertj.core.api.Assertions.assertThat;

import io.postern.config.ConfigLoader;
import io.postern.config.PosternConfig;
import io.postern.config.SecretResolver;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What a client sees when the node drains (SIGTERM): a session waiting for a command gets
 * 421 4.3.2 (POP3: -ERR [SYS/TEMP]) at once and the connection closes; a message in the middle
 * of DATA is finished and accepted first, then 421 4.3.2 comes instead of the next command.
 */
class DrainTest {
    @TempDir
    Path temp;

    @Test
    void openSessionsAreToldTheServiceIsShuttingDown() throws Exception {
        Path home = Path.of("..").toAbsolutePath().normalize();
        int smtpPort = freePort();
        int pop3Port = freePort();
        String yaml = """
                node: { hostname: mx.example.test, drainTimeout: 60s }
                listeners:
                  - { name: smtp, kind: mx, address: 127.0.0.1, port: %d }
                  - { name: pop3, kind: pop3, address: 127.0.0.1, port: %d }
                admin: { enabled: false }
                domains: [example.test]
                directory:
                  profile: openldap
                  baseDn: dc=example,dc=test
                  embedded: { ldif: ldif/demo.ldif, port: %d }
                queue: { directory: %s }
                spool: { root: %s }
                """.formatted(smtpPort, pop3Port, freePort(), temp.resolve("queue"), temp.resolve("spool"));
        PosternConfig config = new ConfigLoader(new SecretResolver(Map.of())).parse(yaml, home, "t.yaml");
        PosternServer server = PosternServer.start(config);
        CompletableFuture<Void> stopped = null;
        try (Socket idle = new Socket("127.0.0.1", smtpPort);
             Socket sending = new Socket("127.0.0.1", smtpPort);
             Socket pop3 = new Socket("127.0.0.1", pop3Port)) {
            Client idleSmtp = new Client(idle);
            assertThat(idleSmtp.line()).startsWith("220 ");
            idleSmtp.send("EHLO client.example.test");
            idleSmtp.skipTo("250 ");

            Client data = new Client(sending);
            assertThat(data.line()).startsWith("220 ");
            data.send("HELO client.example.test");
            data.skipTo("250 ");
            data.send("MAIL FROM:<sender@remote.test>");
            assertThat(data.line()).startsWith("250 ");
            data.send("RCPT TO:<alice@example.test>");
            assertThat(data.line()).startsWith("250 ");
            data.send("DATA");
            assertThat(data.line()).startsWith("354 ");
            data.send("Subject: drain\r\n\r\nhalf a message");

            Client pop = new Client(pop3);
            assertThat(pop.line()).startsWith("+OK");

            stopped = CompletableFuture.runAsync(server::close);

            assertThat(idleSmtp.line()).isEqualTo("421 4.3.2 mx.example.test service shutting down");
            assertThat(idleSmtp.line()).as("closed after the 421").isNull();
            assertThat(pop.line()).isEqualTo("-ERR [SYS/TEMP] Server shutting down");
            assertThat(pop.line()).isNull();

            data.send("the rest\r\n.");
            assertThat(data.line()).as("the message in progress is accepted").startsWith("250 ");
            assertThat(data.line()).isEqualTo("421 4.3.2 mx.example.test service shutting down");
            assertThat(data.line()).isNull();

            // Every session ended by itself: the stop does not wait for the 60 s drain timeout.
            stopped.get(30, TimeUnit.SECONDS);
        } finally {
            if (stopped == null) {
                server.close();
            }
        }
    }

    private static int freePort() throws Exception {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    private static final class Client {
        private final BufferedReader in;
        private final OutputStream out;

        Client(Socket socket) throws Exception {
            socket.setSoTimeout(30_000);
            this.in = new BufferedReader(new InputStreamReader(socket.getInputStream(), StandardCharsets.US_ASCII));
            this.out = socket.getOutputStream();
        }

        String line() throws Exception {
            return in.readLine();
        }

        void skipTo(String prefix) throws Exception {
            String line;
            do {
                line = in.readLine();
                assertThat(line).isNotNull();
            } while (!line.startsWith(prefix));
        }

        void send(String text) throws Exception {
            out.write((text + "\r\n").getBytes(StandardCharsets.US_ASCII));
            out.flush();
        }
    }
}
