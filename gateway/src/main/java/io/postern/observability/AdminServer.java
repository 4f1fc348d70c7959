package io.postern.observability;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * The admin HTTP endpoint (loopback by default): {@code /metrics} in Prometheus text format,
 * {@code /healthz} (the process answers), {@code /readyz} (every {@link ReadinessCheck} holds).
 * Only GET and HEAD; anything else is 405. Uses the JDK's HTTP server: three read-only routes do
 * not justify a web framework.
 */
public final class AdminServer implements AutoCloseable {
    private final HttpServer server;
    private final ExecutorService executor;

    private AdminServer(HttpServer server, ExecutorService executor) {
        this.server = server;
        this.executor = executor;
    }

    public static AdminServer start(String address, int port, Metrics metrics, List<ReadinessCheck> checks)
            throws IOException {
        HttpServer server = HttpServer.create(new InetSocketAddress(address, port), 16);
        ExecutorService executor = Executors.newFixedThreadPool(2, Thread.ofPlatform().name("admin-http-", 0).daemon().factory());
        server.setExecutor(executor);
        server.createContext("/metrics", getOnly(exchange ->
                respond(exchange, 200, "text/plain; version=0.0.4; charset=utf-8", metrics.scrape())));
        server.createContext("/healthz", getOnly(exchange -> respond(exchange, 200, "text/plain", "ok\n")));
        server.createContext("/readyz", getOnly(exchange -> readiness(exchange, List.copyOf(checks))));
        server.createContext("/", exchange -> respond(exchange, 404, "text/plain", "not found\n"));
        server.start();
        return new AdminServer(server, executor);
    }

    /** A text route added by another part (the queue's /queue/...): method, path, query in; status and text out. */
    @FunctionalInterface
    public interface Route {
        Reply handle(String method, String path, String query);
    }

    /** What a {@link Route} answers. */
    public record Reply(int status, String body) {
    }

    /**
     * Serves every path under {@code prefix} with {@code route}. GET and HEAD pass as they are;
     * anything else must carry the {@code X-Postern-Admin} header, so that a web page open in a
     * browser on this host cannot change anything (it could not send that header without a
     * CORS preflight, which this server never answers).
     */
    public void route(String prefix, Route route) {
        server.createContext(prefix, exchange -> {
            String method = exchange.getRequestMethod();
            boolean read = method.equals("GET") || method.equals("HEAD");
            if (!read && !exchange.getRequestHeaders().containsKey("X-Postern-Admin")) {
                respond(exchange, 403, "text/plain", "changes need the X-Postern-Admin header\n");
                return;
            }
            exchange.getRequestBody().close();
            Reply reply;
            try {
                reply = route.handle(method.equals("HEAD") ? "GET" : method, exchange.getRequestURI().getPath(),
                        exchange.getRequestURI().getRawQuery());
            } catch (RuntimeException e) {
                reply = new Reply(500, "internal error: " + e.getClass().getSimpleName() + "\n");
            }
            respond(exchange, reply.status(), "text/plain; charset=utf-8", reply.body());
        });
    }

    public int port() {
        return server.getAddress().getPort();
    }

    private static void readiness(HttpExchange exchange, List<ReadinessCheck> checks) throws IOException {
        StringBuilder body = new StringBuilder();
        boolean ready = true;
        for (ReadinessCheck check : checks) {
            ReadinessCheck.Status status;
            try {
                status = check.check();
            } catch (RuntimeException e) {
                status = ReadinessCheck.Status.failing(e.getClass().getSimpleName());
            }
            ready &= status.ready();
            body.append(check.name()).append(' ').append(status.ready() ? "ok" : "failing").append(' ')
                    .append(status.detail()).append('\n');
        }
        body.insert(0, ready ? "ready\n" : "not ready\n");
        respond(exchange, ready ? 200 : 503, "text/plain", body.toString());
    }

    private static HttpHandler getOnly(HttpHandler handler) {
        return exchange -> {
            String method = exchange.getRequestMethod();
            if (!method.equals("GET") && !method.equals("HEAD")) {
                exchange.getResponseHeaders().add("Allow", "GET, HEAD");
                respond(exchange, 405, "text/plain", "method not allowed\n");
                return;
            }
            handler.handle(exchange);
        };
    }

    private static void respond(HttpExchange exchange, int status, String type, String body) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().add("Content-Type", type);
        boolean head = exchange.getRequestMethod().equals("HEAD");
        exchange.sendResponseHeaders(status, head ? -1 : bytes.length);
        try (OutputStream out = exchange.getResponseBody()) {
            if (!head) {
                out.write(bytes);
            }
        }
    }

    @Override
    public void close() {
        server.stop(0);
        executor.shutdownNow();
    }
}
