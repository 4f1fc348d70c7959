package io.postern.server;

import static org.assertj.core.api.Assertions.assertThat;

import io.postern.admin.AdminHttpServer;
import io.postern.admin.HealthRoutes;
import io.postern.config.AdminConfig;
import io.postern.config.Role;
import io.postern.observability.Metrics;
import io.postern.observability.ReadinessCheck;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What the kubelet's GET /readyz answers, per role, when the directory, the spool or the queue is out. */
class RoleReadinessTest {
    private static final ReadinessCheck DIRECTORY_UP = new Fixed(ReadinessCheck.Status.ok());
    private static final ReadinessCheck DIRECTORY_DOWN =
            new Fixed(ReadinessCheck.Status.failing("directory unreachable (connect refused) and nothing cached"));

    @TempDir
    Path temp;

    @Test
    void aFrontStaysReadyWhileTheDirectoryIsDown() throws Exception {
        HttpResponse<String> ready = readyz(Role.FRONT, DIRECTORY_DOWN, writable("queue"), writable("spool"));
        assertThat(ready.statusCode()).as(ready.body()).isEqualTo(200);
        assertThat(ready.body()).startsWith("ready\n").contains("directory ok not gating readiness in this role: "
                + "directory unreachable");
    }

    @Test
    void aFrontStaysReadyWhileTheSpoolIsOut() throws Exception {
        HttpResponse<String> ready = readyz(Role.FRONT, DIRECTORY_UP, writable("queue"), blocked("spool"));
        assertThat(ready.statusCode()).as(ready.body()).isEqualTo(200);
        assertThat(ready.body()).contains("spool ok not gating readiness in this role: ");
    }

    @Test
    void anAllInOneNodeStaysReadyWhileTheDirectoryAndSpoolAreOut() throws Exception {
        HttpResponse<String> ready = readyz(Role.ALL, DIRECTORY_DOWN, writable("queue"), blocked("spool"));
        assertThat(ready.statusCode()).as(ready.body()).isEqualTo(200);
    }

    @Test
    void aFrontThatCannotWriteItsQueueLeavesTheService() throws Exception {
        HttpResponse<String> ready = readyz(Role.FRONT, DIRECTORY_UP, blocked("queue"), writable("spool"));
        assertThat(ready.statusCode()).as(ready.body()).isEqualTo(503);
        assertThat(ready.body()).startsWith("not ready\n").contains("queue failing");
    }

    @Test
    void aDeliveryNodeThatCannotWriteTheSpoolLeavesTheService() throws Exception {
        HttpResponse<String> ready = readyz(Role.DELIVERY, DIRECTORY_UP, writable("queue"), blocked("spool"));
        assertThat(ready.statusCode()).as(ready.body()).isEqualTo(503);
        assertThat(ready.body()).contains("spool failing");
    }

    @Test
    void aDeliveryNodeIgnoresItsQueueAndStaysReadyWhileTheDirectoryIsDown() throws Exception {
        HttpResponse<String> ready = readyz(Role.DELIVERY, DIRECTORY_DOWN, blocked("queue"), writable("spool"));
        assertThat(ready.statusCode()).as(ready.body()).isEqualTo(200);
        assertThat(ready.body()).doesNotContain("queue");
    }

    private Path writable(String name) {
        return temp.resolve(name);
    }

    /** A path below a regular file: it can never be created. */
    private Path blocked(String name) throws Exception {
        return Files.writeString(temp.resolve(name + "-file"), "x").resolve(name);
    }

    @Test
    void aDeliveryNodeThatCannotWriteItsTemporaryDirectoryLeavesTheService() throws Exception {
        HttpResponse<String> ready = readyz(Role.DELIVERY, DIRECTORY_UP, writable("queue"), writable("spool"),
                blocked("delivery-tmp"));
        assertThat(ready.statusCode()).as(ready.body()).isEqualTo(503);
        assertThat(ready.body()).contains("delivery-temp failing");
    }

    @Test
    void aFrontOnlyReportsItsTemporaryDirectory() throws Exception {
        HttpResponse<String> ready = readyz(Role.FRONT, DIRECTORY_UP, writable("queue"), writable("spool"),
                blocked("delivery-tmp"));
        assertThat(ready.statusCode()).as(ready.body()).isEqualTo(200);
        assertThat(ready.body()).contains("delivery-temp ok not gating readiness in this role: ");
    }

    private HttpResponse<String> readyz(Role role, ReadinessCheck directory, Path queue, Path spool)
            throws Exception {
        return readyz(role, directory, queue, spool, writable("delivery-tmp"));
    }

    private static HttpResponse<String> readyz(Role role, ReadinessCheck directory, Path queue, Path spool,
                                               Path deliveryTemp) throws Exception {
        try (Metrics metrics = new Metrics();
             AdminHttpServer admin = AdminHttpServer.start("admin", "127.0.0.1", 0, AdminConfig.defaults(),
                     new HealthRoutes(metrics, RoleReadiness.checks(role, directory, queue, spool, deliveryTemp)));
             HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build()) {
            return client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + admin.port() + "/readyz"))
                    .timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString());
        }
    }

    private record Fixed(Status status) implements ReadinessCheck {
        @Override
        public String name() {
            return "directory";
        }

        @Override
        public Status check() {
            return status;
        }
    }
}
