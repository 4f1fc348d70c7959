package io.postern.server;

import static org.assertj.core.api.Assertions.assertThat;

import io.postern.config.ConfigLoader;
import io.postern.config.PosternConfig;
import io.postern.config.SecretResolver;
import io.postern.smtp.SmtpTestClient;
import io.postern.testing.MapDirectory;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The gauges a node exposes on /metrics for its listeners and its certificate, as Prometheus scrapes them. */
class PosternServerMetricsTest {
    @TempDir
    Path dir;

    private static int freePort() throws Exception {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    private PosternConfig config(int mx, int pop3, int admin) {
        return new ConfigLoader(new SecretResolver(Map.of())).parse("""
                node: {hostname: mx.test, drainTimeout: 0s}
                admin: {port: %d, queueApi: {enabled: false}}
                listeners:
                  - {kind: mx, name: mx, port: %d}
                  - {kind: pop3, name: pop3, port: %d}
                tls: {selfSigned: true, selfSignedDirectory: tls}
                directory: {urls: ['ldap://127.0.0.1:1'], baseDn: 'dc=example,dc=com'}
                domains: [example.com]
                spool: {root: spool}
                """.formatted(admin, mx, pop3), dir, "test.yaml");
    }

    private static String scrape(int admin) throws Exception {
        try (HttpClient http = HttpClient.newHttpClient()) {
            return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + admin + "/metrics")).build(),
                    HttpResponse.BodyHandlers.ofString()).body();
        }
    }

    private static Optional<Double> value(String scrape, String series, String labels) {
        Matcher m = Pattern.compile("(?m)^" + series + "\\{([^}]*)\\} (\\S+)$").matcher(scrape);
        while (m.find()) {
            if (m.group(1).contains(labels)) {
                return Optional.of(Double.parseDouble(m.group(2)));
            }
        }
        return Optional.empty();
    }

    /** Polls the scrape until the series has the value (the gauge follows the channel's close asynchronously). */
    private static void awaitValue(int admin, String series, String labels, double expected) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        Optional<Double> seen = Optional.empty();
        while (System.nanoTime() < deadline) {
            seen = value(scrape(admin), series, labels);
            if (seen.isPresent() && seen.get() == expected) {
                return;
            }
            Thread.sleep(20);
        }
        assertThat(seen).as("%s{%s}", series, labels).contains(expected);
    }

    @Test
    void openSessionsPerListenerAndCertificateExpiryAreGauges() throws Exception {
        int mx = freePort();
        int pop3 = freePort();
        int admin = freePort();
        try (PosternServer server = PosternServer.start(config(mx, pop3, admin), Optional.of(MapDirectory.fixture()))) {
            awaitValue(admin, "postern_sessions_open", "kind=\"mx\",listener=\"mx\"", 0);
            try (SmtpTestClient client = new SmtpTestClient(mx)) {
                assertThat(client.readLine()).startsWith("220");
                awaitValue(admin, "postern_sessions_open", "kind=\"mx\",listener=\"mx\"", 1);
                awaitValue(admin, "postern_sessions_open", "kind=\"pop3\",listener=\"pop3\"", 0);
            }
            awaitValue(admin, "postern_sessions_open", "kind=\"mx\",listener=\"mx\"", 0);

            String scrape = scrape(admin);
            Path certificate = dir.resolve("tls");
            Optional<Double> left = value(scrape, "postern_tls_certificate_expiry_seconds", "certificate=\"" + certificate);
            // The demo's self-signed certificate is valid for a long time; a gauge stuck at 0 or negative fails.
            assertThat(left).isPresent();
            assertThat(left.get()).isGreaterThan(Duration.ofDays(30).toSeconds());
        }
    }
}
