package io.postern.admin;

import io.postern.observability.Metrics;
import io.postern.observability.ReadinessCheck;
import java.util.List;

/**
 * The monitoring socket's routes: {@code /metrics} (Prometheus text format), {@code /healthz}
 * (the process answers), {@code /readyz} (every {@link ReadinessCheck} holds). GET and HEAD only.
 */
public final class HealthRoutes implements AdminRoute {
    private static final String PROMETHEUS = "text/plain; version=0.0.4; charset=utf-8";

    private final Metrics metrics;
    private final List<ReadinessCheck> checks;

    public HealthRoutes(Metrics metrics, List<ReadinessCheck> checks) {
        this.metrics = metrics;
        this.checks = List.copyOf(checks);
    }

    @Override
    public AdminReply handle(AdminRequest request) {
        boolean known = switch (request.path()) {
            case "/metrics", "/healthz", "/readyz" -> true;
            default -> false;
        };
        if (!known) {
            return AdminReplies.NOT_FOUND;
        }
        if (!request.method().equals("GET")) {
            return AdminReplies.METHOD_NOT_ALLOWED;
        }
        return switch (request.path()) {
            case "/metrics" -> new AdminReply(200, PROMETHEUS, metrics.scrape());
            case "/healthz" -> AdminReply.text(200, "ok\n");
            default -> readiness();
        };
    }

    private AdminReply readiness() {
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
        return AdminReply.text(ready ? 200 : 503, body.toString());
    }
}
