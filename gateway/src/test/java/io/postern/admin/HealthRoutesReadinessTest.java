package io.postern.admin;

import static org.assertj.core.api.Assertions.assertThat;

import io.postern.config.AdminConfig;
import io.postern.observability.Metrics;
import io.postern.observability.ReadinessCheck;
import io.postern.observability.WritableDirectoryCheck;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What a kubelet probe sees on /healthz and /readyz when the queue or spool cannot be written. */
class HealthRoutesReadinessTest {
    @TempDir
    Path temp;

    @Test
    void readyzAnswers503AndNamesTheFailingCheckWhileHealthzStaysUp() throws Exception {
        Path blocked = Files.writeString(temp.resolve("file"), "x").resolve("spool");
        List<ReadinessCheck> checks = List.of(new WritableDirectoryCheck("queue", temp.resolve("queue")),
                new WritableDirectoryCheck("spool", blocked));
        try (Metrics metrics = new Metrics(); AdminHttpServer admin = start(metrics, checks)) {
            HttpResponse<String> ready = get(admin, "/readyz");
            assertThat(ready.statusCode()).isEqualTo(503);
            assertThat(ready.body()).startsWith("not ready\n").contains("queue ok").contains("spool failing");
            assertThat(get(admin, "/healthz").statusCode()).isEqualTo(200);
        }
    }

    @Test
    void readyzAnswers200WhenEveryDirectoryIsWritable() throws Exception {
        List<ReadinessCheck> checks = List.of(new WritableDirectoryCheck("queue", temp.resolve("queue")),
                new WritableDirectoryCheck("spool", temp.resolve("spool")));
        try (Metrics metrics = new Metrics(); AdminHttpServer admin = start(metrics, checks)) {
            HttpResponse<String> ready = get(admin, "/readyz");
            assertThat(ready.statusCode()).isEqualTo(200);
            assertThat(ready.body()).startsWith("ready\n");
        }
    }

    private static AdminHttpServer start(Metrics metrics, List<ReadinessCheck> checks) throws Exception {
        return AdminHttpServer.start("admin", "127.0.0.1", 0, AdminConfig.defaults(), new HealthRoutes(metrics, checks));
    }

    private static HttpResponse<String> get(AdminHttpServer admin, String path) throws Exception {
        try (HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build()) {
            HttpRequest request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + admin.port() + path))
                    .timeout(Duration.ofSeconds(5)).build();
            return client.send(request, HttpResponse.BodyHandlers.ofString());
        }
    }
}
