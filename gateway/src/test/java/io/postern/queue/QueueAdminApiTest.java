package io.postern.queue;

import static org.assertj.core.api.Assertions.assertThat;

import io.postern.admin.AdminHttpServer;
import io.postern.admin.AdminReply;
import io.postern.admin.QueueApiGuard;
import io.postern.config.AdminConfig;
import io.postern.mail.Acceptance;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class QueueAdminApiTest {
    @TempDir
    Path dir;

    @Test
    void hostileIdsAreRefusedBeforeAnyPath() throws Exception {
        try (MailQueue queue = QueueFixture.start(QueueFixture.config(dir.resolve("q")), Clock.systemUTC(),
                IoHooks.NONE)) {
            QueueAdminApi api = queue.adminApi();
            for (String path : List.of("/queue/show/../x", "/queue/show/..", "/queue/show/0123456789ABCDE\0",
                    "/queue/show/../../lock", "/queue/delete/..%2Fx", "/queue/show/0123456789abcdef",
                    "/queue/show/0123456789ABCDEF/extra", "/queue/show/")) {
                String method = path.contains("/show/") ? "GET" : "POST";
                QueueAdminApi.Reply reply = api.handle(method, path, null);
                assertThat(reply.status()).as(path).isIn(400, 404);
            }
            assertThat(api.handle("GET", "/queue/show/0123\0", null).status()).isEqualTo(400);
            assertThat(api.handle("GET", "/queue/delete/0123456789ABCDEF", null).status()).isEqualTo(405);
        }
    }

    @Test
    void operationsOverHttpWithTheAdminHeader() throws Exception {
        try (MailQueue queue = QueueFixture.start(QueueFixture.config(dir.resolve("q")), Clock.systemUTC(),
                IoHooks.NONE)) {
            QueueAdminApi api = queue.adminApi();
            AdminHttpServer admin = AdminHttpServer.start("queue-api", "127.0.0.1", 0, AdminConfig.defaults(),
                    new QueueApiGuard("", request -> {
                        QueueAdminApi.Reply r = api.handle(request.method(), request.path(), request.query());
                        return AdminReply.text(r.status(), r.body());
                    }));
            try (HttpClient http = HttpClient.newHttpClient()) {
                Acceptance a = QueueFixture.accept(queue,
                        QueueFixture.envelope("alice@example.test", "bob@example.net"), QueueFixture.message("x"));
                String base = "http://127.0.0.1:" + admin.port();

                HttpResponse<String> list = http.send(HttpRequest.newBuilder(URI.create(base + "/queue/list")).build(),
                        HttpResponse.BodyHandlers.ofString());
                assertThat(list.statusCode()).isEqualTo(200);
                assertThat(list.body()).contains(a.queueId()).contains("<alice@example.test>").contains("1 message");

                HttpResponse<String> noHeader = http.send(HttpRequest.newBuilder(URI.create(base + "/queue/hold/"
                        + a.queueId())).POST(HttpRequest.BodyPublishers.noBody()).build(),
                        HttpResponse.BodyHandlers.ofString());
                assertThat(noHeader.statusCode()).isEqualTo(403);

                HttpResponse<String> hold = http.send(HttpRequest.newBuilder(URI.create(base + "/queue/hold/"
                                + a.queueId())).header("X-Postern-Admin", "test")
                        .POST(HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
                assertThat(hold.statusCode()).isEqualTo(200);
                assertThat(queue.show(a.queueId()).get()).contains("state: hold");

                for (String hostile : List.of("/queue/show/..%2F..%2Flock", "/queue/show/%00",
                        "/queue/show/0123456789ABCDE%00")) {
                    assertThat(rawStatus(admin.port(), "GET " + hostile)).as(hostile).isIn(400, 404);
                }

                HttpResponse<String> delete = http.send(HttpRequest.newBuilder(URI.create(base + "/queue/delete/"
                                + a.queueId())).header("X-Postern-Admin", "test")
                        .POST(HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
                assertThat(delete.statusCode()).isEqualTo(200);
                assertThat(queue.show(a.queueId())).isEmpty();
                assertThat(QueueFixture.envelopeCount(dir.resolve("q"))).isZero();
            } finally {
                admin.close();
            }
        }
    }

    /** Sends a request line as is (an HTTP client would refuse or re-encode these paths). */
    private static int rawStatus(int port, String requestLine) throws Exception {
        try (Socket socket = new Socket("127.0.0.1", port)) {
            socket.getOutputStream().write((requestLine + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
                    .getBytes(StandardCharsets.ISO_8859_1));
            String head = new String(socket.getInputStream().readNBytes(12), StandardCharsets.ISO_8859_1);
            return Integer.parseInt(head.substring(9, 12));
        }
    }
}
