package io.postern.server;

import static org.assertj.core.api.Assertions.assertThat;

import io.postern.config.ConfigLoader;
import io.postern.config.PosternConfig;
import io.postern.config.SecretResolver;
import io.postern.directory.Login;
import io.postern.directory.Lookup;
import io.postern.directory.Recipient;
import io.postern.mail.MailAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** A started node connects its directory right after the embedded server and reports it in /readyz. */
class PosternServerDirectoryTest {

    static int freePort() throws Exception {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    @Test
    void demoDirectoryAnswersThroughTheServer() throws Exception {
        Path home = Path.of("..").toAbsolutePath().normalize();
        int admin = freePort();
        String yaml = """
                node: { drainTimeout: 100ms }
                listeners:
                  - { name: smtp, kind: mx, address: 127.0.0.1, port: %d }
                admin: { address: 127.0.0.1, port: %d, queueApi: { port: %d } }
                domains: [example.test]
                directory:
                  profile: openldap
                  baseDn: dc=example,dc=test
                  embedded: { ldif: ldif/demo.ldif, port: %d }
                queue: { directory: %s }
                spool: { root: %s }
                """.formatted(freePort(), admin, freePort(), freePort(), home.resolve("gateway/target/pst-queue"),
                home.resolve("gateway/target/pst-spool"));
        PosternConfig config = new ConfigLoader(new SecretResolver(Map.of())).parse(yaml, home, "t.yaml");
        try (PosternServer server = PosternServer.start(config)) {
            assertThat(server.directory().resolve(MailAddress.parse("team@example.test").orElseThrow()))
                    .isInstanceOfSatisfying(Lookup.Found.class, f -> assertThat(f.value()).isInstanceOfSatisfying(
                            Recipient.Group.class, g -> assertThat(g.members()).hasSize(2)));
            assertThat(server.directory().authenticate("bob@example.test", "bob-pw")).isInstanceOf(Login.Succeeded.class);
            HttpResponse<String> ready = get(server.adminPort(), "/readyz");
            assertThat(ready.statusCode()).as(ready.body()).isEqualTo(200);
            assertThat(ready.body()).contains("directory");
            // Metrics and health on one socket, the queue API on its own: a monitoring network let in
            // on the first cannot change the queue.
            assertThat(get(server.adminPort(), "/queue/list").statusCode()).isEqualTo(404);
            assertThat(get(server.queueApiPort(), "/queue/list").statusCode()).isEqualTo(200);
            assertThat(get(server.queueApiPort(), "/healthz").statusCode()).isEqualTo(404);
        }
    }

    private static HttpResponse<String> get(int port, String path) throws Exception {
        try (HttpClient http = HttpClient.newHttpClient()) {
            return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                    .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
        }
    }
}
