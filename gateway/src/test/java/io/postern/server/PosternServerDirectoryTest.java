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

    /**
     * Issue 16, "the demo is live": the provisioning example of docs/provisioning.md, applied over
     * LDAP to the node's embedded directory, is answered at RCPT within a second, although the
     * negative answer was cached for a minute and change tracking polls only every 10 minutes.
     */
    @Test
    void anEntryAddedToTheEmbeddedDirectoryIsAnsweredAtOnce() throws Exception {
        Path home = Path.of("..").toAbsolutePath().normalize();
        int smtp = freePort();
        int ldapPort = freePort();
        String yaml = """
                node: { drainTimeout: 100ms }
                listeners:
                  - { name: smtp, kind: mx, address: 127.0.0.1, port: %d }
                admin: { enabled: false }
                domains: [example.test]
                directory:
                  profile: openldap
                  baseDn: dc=example,dc=test
                  embedded: { ldif: ldif/demo.ldif, port: %d }
                cache: { ttl: { negative: 1m }, changeTracking: poll, pollInterval: 10m }
                queue: { directory: %s }
                spool: { root: %s }
                """.formatted(smtp, ldapPort, home.resolve("gateway/target/pst-live-queue"),
                home.resolve("gateway/target/pst-live-spool"));
        PosternConfig config = new ConfigLoader(new SecretResolver(Map.of())).parse(yaml, home, "t.yaml");
        MailAddress carol = MailAddress.parse("carol@example.test").orElseThrow();
        try (PosternServer server = PosternServer.start(config)) {
            assertThat(rcpt(smtp, "carol@example.test")).startsWith("550 5.1.1");
            assertThat(server.directory().resolve(carol)).isEqualTo(Lookup.found(new Recipient.Unknown(carol)));

            try (var ldap = new com.unboundid.ldap.sdk.LDAPConnection("127.0.0.1", ldapPort,
                    "cn=admin,dc=example,dc=test", "admin-pw")) {
                ldap.add(new com.unboundid.ldap.sdk.AddRequest(provisioningExample(home)));
            }
            long added = System.nanoTime();
            io.postern.testing.Await.until("carol answered at RCPT", Duration.ofSeconds(1),
                    () -> server.directory().resolve(carol) instanceof Lookup.Found<Recipient> f
                            && f.value() instanceof Recipient.Mailbox);
            assertThat(rcpt(smtp, "carol@example.test")).startsWith("250 2.1.5");
            System.out.printf("embedded directory add answered %d ms after ldapadd returned%n",
                    Duration.ofNanos(System.nanoTime() - added).toMillis());

            try (var ldap = new com.unboundid.ldap.sdk.LDAPConnection("127.0.0.1", ldapPort,
                    "cn=admin,dc=example,dc=test", "admin-pw")) {
                ldap.delete("uid=carol,ou=people,dc=example,dc=test");
            }
            io.postern.testing.Await.until("carol unknown again", Duration.ofSeconds(1),
                    () -> server.directory().resolve(carol).equals(Lookup.found(new Recipient.Unknown(carol))));
        }
    }

    /** The LDIF of the demo example in docs/provisioning.md (the lines between the ldapadd line and EOF). */
    private static String[] provisioningExample(Path home) throws Exception {
        java.util.List<String> lines = java.nio.file.Files.readAllLines(home.resolve("docs/provisioning.md"));
        int start = 0;
        while (!lines.get(start).startsWith("ldapadd -x -H ldap://127.0.0.1:10389")) {
            start++;
        }
        int end = start + 1;
        while (!lines.get(end).equals("EOF")) {
            end++;
        }
        return lines.subList(start + 1, end).toArray(String[]::new);
    }

    /** The reply to RCPT TO:<to> in a fresh plain SMTP session. */
    private static String rcpt(int port, String to) throws Exception {
        try (var socket = new java.net.Socket("127.0.0.1", port)) {
            socket.setSoTimeout(10_000);
            var in = new java.io.BufferedReader(new java.io.InputStreamReader(socket.getInputStream(),
                    java.nio.charset.StandardCharsets.US_ASCII));
            var out = socket.getOutputStream();
            reply(in);
            for (String command : new String[] {"EHLO client.example.org", "MAIL FROM:<bob@example.test>"}) {
                out.write((command + "\r\n").getBytes(java.nio.charset.StandardCharsets.US_ASCII));
                reply(in);
            }
            out.write(("RCPT TO:<" + to + ">\r\n").getBytes(java.nio.charset.StandardCharsets.US_ASCII));
            return reply(in);
        }
    }

    /** The last line of a (multi-line) reply. */
    private static String reply(java.io.BufferedReader in) throws Exception {
        String line;
        do {
            line = in.readLine();
        } while (line != null && line.length() > 3 && line.charAt(3) == '-');
        return line;
    }

    private static HttpResponse<String> get(int port, String path) throws Exception {
        try (HttpClient http = HttpClient.newHttpClient()) {
            return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                    .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
        }
    }
}
