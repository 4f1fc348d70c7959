package io.postern.server;

import static org.assertj.core.api.Assertions.assertThat;

import io.postern.config.ConfigLoader;
import io.postern.config.PosternConfig;
import io.postern.config.SecretResolver;
import io.postern.testing.LogCapture;
import io.postern.testing.MapDirectory;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * POP3 behind a PROXY-protocol balancer, as the server wires it: the carried address is the
 * client's for POP3 too. 192.0.2.7 is not loopback, so plaintext USER/PASS (allowed on loopback
 * only here) is refused for it, and the session's log line names it.
 */
class PosternServerProxyProtocolTest {
    @TempDir
    Path dir;

    private PosternConfig config(int port) {
        return new ConfigLoader(new SecretResolver(Map.of())).parse("""
                node: { hostname: mail.example.test }
                listeners:
                  - { kind: pop3, address: 127.0.0.1, port: %d, tls: none,
                      proxyProtocol: { enabled: true, trustedProxies: [127.0.0.1/32] } }
                admin: { enabled: false }
                directory: { baseDn: "dc=example,dc=test", urls: ["ldap://127.0.0.1:1"] }
                auth: { allowPlaintextOnLoopback: true }
                spool: { root: spool }
                """.formatted(port), dir, "test.yaml");
    }

    private static int freePort() throws Exception {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }

    private static String exchange(int port, String input) throws Exception {
        try (Socket socket = new Socket("127.0.0.1", port)) {
            socket.setSoTimeout(5000);
            socket.getOutputStream().write(input.getBytes(StandardCharsets.US_ASCII));
            BufferedReader in = new BufferedReader(new InputStreamReader(socket.getInputStream(), StandardCharsets.US_ASCII));
            StringBuilder out = new StringBuilder();
            for (String line = in.readLine(); line != null; line = in.readLine()) {
                out.append(line).append('\n');
            }
            return out.toString();
        }
    }

    @Test
    void pop3SeesTheCarriedClientAddress() throws Exception {
        int port = freePort();
        try (LogCapture logs = LogCapture.root();
             PosternServer server = PosternServer.start(config(port), Optional.of(new MapDirectory()
                     .add("alice@example.test", "alice-pw", false, Optional.empty(), "alice")))) {
            assertThat(exchange(port, "PROXY TCP4 192.0.2.7 127.0.0.1 40000 110\r\nUSER alice\r\nQUIT\r\n"))
                    .isEqualTo("""
                            +OK Postern POP3 server ready
                            -ERR [AUTH] Plaintext authentication disallowed on non-secure connections, use STLS
                            +OK Bye
                            """);
            assertThat(logs.await("session-end", 1).getFirst()).contains("proto=pop3 client=192.0.2.7 ");
            // The same listener without a header from its trusted proxy: refused before any greeting.
            assertThat(exchange(port, "USER alice\r\nQUIT\r\n")).isEmpty();
        }
    }
}
