package io.postern.server;

import static org.assertj.core.api.Assertions.assertThat;

import io.postern.config.ConfigLoader;
import io.postern.config.PosternConfig;
import io.postern.config.SecretResolver;
import io.postern.directory.Directory;
import io.postern.testing.MapDirectory;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The server's POP3 seam: served when a directory is given, the unserved greeting otherwise. */
class PosternServerPop3Test {
    @TempDir
    Path dir;

    /** One user, alice / alice-pw. */
    private static final Directory ALICE = new MapDirectory()
            .add("alice@example.test", "alice-pw", false, Optional.empty(), "alice");

    private PosternConfig config(int port) {
        String yaml = """
                node: { hostname: mail.example.test }
                listeners:
                  - { kind: pop3, address: 127.0.0.1, port: %d, tls: none }
                admin: { enabled: false }
                directory: { baseDn: "dc=example,dc=test", urls: ["ldap://127.0.0.1:1"] }
                auth: { allowPlaintextOnLoopback: true }
                spool: { root: spool }
                """.formatted(port);
        return new ConfigLoader(new SecretResolver(Map.of())).parse(yaml, dir, "test.yaml");
    }

    private static int freePort() throws Exception {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }

    private static String exchange(int port, String commands) throws Exception {
        try (Socket socket = new Socket("127.0.0.1", port)) {
            socket.setSoTimeout(5000);
            socket.getOutputStream().write(commands.getBytes(StandardCharsets.US_ASCII));
            BufferedReader in = new BufferedReader(new InputStreamReader(socket.getInputStream(), StandardCharsets.US_ASCII));
            StringBuilder out = new StringBuilder();
            for (String line = in.readLine(); line != null; line = in.readLine()) {
                out.append(line).append('\n');
            }
            return out.toString();
        }
    }

    @Test
    void servesPop3WhenTheDirectoryIsGiven() throws Exception {
        Path fresh = Files.createDirectories(dir.resolve("spool/example.test/alice/new"));
        Files.writeString(fresh.resolve("1700000001.M1P1.h,S=16"), "Subject: x\r\n\r\nx\r\n");
        int port = freePort();
        try (PosternServer server = PosternServer.start(config(port), Optional.of(ALICE))) {
            assertThat(exchange(port, "USER alice\r\nPASS alice-pw\r\nSTAT\r\nQUIT\r\n")).isEqualTo("""
                    +OK Postern POP3 server ready
                    +OK Send your password
                    +OK Mailbox locked and ready, 1 messages (16 octets)
                    +OK 1 16
                    +OK Bye, 0 messages deleted
                    """);
        }
    }
}
