package io.postern.admin;

import static org.assertj.core.api.Assertions.assertThat;

import io.postern.config.AdminConfig;
import io.postern.observability.Metrics;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Real HTTP on a real socket: what a prober, a browser page or a slow client gets from the admin socket. */
class AdminHttpServerTest {
    /** Generous: the machine is shared; what matters is an answer at all while slow clients hold connections. */
    private static final Duration PROMPTLY = Duration.ofSeconds(10);

    private final List<Socket> sockets = new ArrayList<>();
    private Metrics metrics;

    @BeforeEach
    void metrics() {
        metrics = new Metrics();
    }

    @AfterEach
    void close() throws IOException {
        for (Socket s : sockets) {
            s.close();
        }
        metrics.close();
    }

    @Test
    void healthzAnswersWhileTwoClientsDripTheirRequests() throws Exception {
        try (AdminHttpServer admin = start(AdminConfig.defaults())) {
            for (int i = 0; i < 2; i++) {
                Socket slow = open(admin);
                slow.getOutputStream().write("GET /readyz HTTP/1.1\r\nHo".getBytes(StandardCharsets.US_ASCII));
                slow.getOutputStream().flush();
            }
            for (int i = 0; i < 3; i++) {
                assertThat(exchange(admin, "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"))
                        .startsWith("HTTP/1.1 200").endsWith("ok\n");
            }
        }
    }

    @Test
    void aRequestThatDoesNotArriveInTimeGets408AndIsClosed() throws Exception {
        try (AdminHttpServer admin = start(AdminConfig.defaults().withLimits(Duration.ofMillis(300), 64))) {
            Socket slow = open(admin);
            slow.getOutputStream().write("GET /healthz HTTP/1.1\r\n".getBytes(StandardCharsets.US_ASCII));
            assertThat(readAll(slow)).startsWith("HTTP/1.1 408");
        }
    }

    @Test
    void connectionsBeyondMaxConnectionsAreClosedAndTheSlotsComeBack() throws Exception {
        try (AdminHttpServer admin = start(AdminConfig.defaults().withLimits(Duration.ofSeconds(30), 2))) {
            Socket first = open(admin);
            Socket second = open(admin);
            // Each of the two first connections is accepted and waits for its request.
            first.getOutputStream().write("G".getBytes(StandardCharsets.US_ASCII));
            second.getOutputStream().write("G".getBytes(StandardCharsets.US_ASCII));
            Socket third = open(admin);
            third.getOutputStream().write("GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            assertThat(readAll(third)).as("over the limit: closed without an answer").isEmpty();
            first.close();
            second.close();
            long deadline = System.nanoTime() + PROMPTLY.toNanos();
            String answer = "";
            while (!answer.startsWith("HTTP/1.1 200") && System.nanoTime() < deadline) {
                answer = exchange(admin, "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
            }
            assertThat(answer).startsWith("HTTP/1.1 200");
        }
    }

    @Test
    void onlyIpLiteralsAndConfiguredNamesAreServed() throws Exception {
        try (AdminHttpServer admin = start(AdminConfig.defaults())) {
            int port = admin.port();
            for (String host : List.of("127.0.0.1", "127.0.0.1:" + port, "[::1]:" + port, "localhost:" + port,
                    "LOCALHOST", "10.0.0.7")) {
                assertThat(status(admin, "GET /healthz HTTP/1.1\r\nHost: " + host + "\r\n\r\n")).as(host).isEqualTo(200);
            }
            // A DNS-rebinding page sends its own name: misdirected, whatever address that name now has.
            for (String host : List.of("rebind.attacker.example", "rebind.attacker.example:" + port, "localhost.attacker.example",
                    "127.0.0.1.nip.io")) {
                assertThat(status(admin, "GET /metrics HTTP/1.1\r\nHost: " + host + "\r\n\r\n")).as(host).isEqualTo(421);
            }
            for (String request : List.of("GET /healthz HTTP/1.1\r\n\r\n", "GET /healthz HTTP/1.0\r\n\r\n",
                    "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nHost: 127.0.0.1\r\n\r\n",
                    "GET /healthz HTTP/1.1\r\nHost: ::1\r\n\r\n", "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1:99999\r\n\r\n",
                    "GET /healthz HTTP/1.1\r\nHost: a b\r\n\r\n")) {
                assertThat(status(admin, request)).as(request).isEqualTo(400);
            }
        }
    }

    @Test
    void configuredNamesAreServed() throws Exception {
        AdminConfig d = AdminConfig.defaults();
        AdminConfig named = new AdminConfig(true, d.address(), 0, List.of("postern-metrics.mail.svc"),
                d.requestTimeout(), d.maxConnections(), d.queueApi());
        try (AdminHttpServer admin = start(named)) {
            assertThat(status(admin, "GET /healthz HTTP/1.1\r\nHost: postern-metrics.mail.svc:9925\r\n\r\n")).isEqualTo(200);
            assertThat(status(admin, "GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n")).isEqualTo(421);
        }
    }

    @Test
    void healthSocketServesOnlyReadsOfItsThreePaths() throws Exception {
        try (AdminHttpServer admin = start(AdminConfig.defaults())) {
            assertThat(status(admin, "POST /queue/flush HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Postern-Admin: x\r\n"
                    + "Content-Length: 0\r\n\r\n")).isEqualTo(404);
            assertThat(status(admin, "GET /queue/list HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")).isEqualTo(404);
            assertThat(status(admin, "POST /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 0\r\n\r\n"))
                    .isEqualTo(405);
            assertThat(exchange(admin, "HEAD /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")).startsWith("HTTP/1.1 200")
                    .endsWith("\r\n\r\n");
            assertThat(exchange(admin, "GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")).contains("# HELP");
            assertThat(status(admin, "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Long: " + "x".repeat(9000)
                    + "\r\n\r\n")).isIn(400, 413, 431);
            assertThat(status(admin, "GET /" + "x".repeat(5000) + " HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"))
                    .isIn(400, 413, 414);
        }
    }

    private AdminHttpServer start(AdminConfig config) throws IOException {
        return AdminHttpServer.start("admin", "127.0.0.1", 0, config, new HealthRoutes(metrics, List.of()));
    }

    private Socket open(AdminHttpServer admin) throws IOException {
        Socket socket = new Socket("127.0.0.1", admin.port());
        socket.setSoTimeout((int) PROMPTLY.toMillis());
        sockets.add(socket);
        return socket;
    }

    private String exchange(AdminHttpServer admin, String request) throws IOException {
        try (Socket socket = open(admin)) {
            OutputStream out = socket.getOutputStream();
            out.write(request.getBytes(StandardCharsets.ISO_8859_1));
            out.flush();
            return readAll(socket);
        }
    }

    private int status(AdminHttpServer admin, String request) throws IOException {
        String answer = exchange(admin, request);
        assertThat(answer).as("an HTTP answer to " + request).startsWith("HTTP/1.1 ");
        return Integer.parseInt(answer.substring(9, 12));
    }

    /** Everything until the server closes; a read timeout fails the test rather than hanging it. */
    private static String readAll(Socket socket) throws IOException {
        InputStream in = socket.getInputStream();
        try {
            return new String(in.readAllBytes(), StandardCharsets.ISO_8859_1);
        } catch (SocketTimeoutException e) {
            throw new AssertionError("no answer within " + PROMPTLY, e);
        } catch (java.net.SocketException e) {
            return ""; // reset by the server: no answer
        }
    }
}
