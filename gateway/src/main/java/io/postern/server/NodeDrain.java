package io.postern.server;

import io.postern.admin.AdminReplies;
import io.postern.admin.AdminReply;
import io.postern.admin.AdminRequest;
import io.postern.admin.AdminRoute;
import io.postern.observability.LogLine;
import io.postern.observability.ReadinessCheck;
import io.postern.queue.MailQueue;
import io.postern.queue.QueueBacklog;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code POST /queue/drain} on the queue API: the node stops accepting (its listening sockets
 * close, open sessions finish what they are doing and say {@code 421 4.3.2}), {@code /readyz}
 * fails so the node leaves its Service, every queued message is made due now, and delivery goes
 * on. {@code GET /queue/drain} reports whether the node drains and what is left
 * ({@link QueueBacklog}). A drain is not undone: the node stays out until it is restarted.
 * Thread-safe.
 */
final class NodeDrain implements AdminRoute, ReadinessCheck {
    static final String PATH = "/queue/drain";
    private static final Logger LOG = LoggerFactory.getLogger(NodeDrain.class);

    private final AtomicBoolean draining = new AtomicBoolean();
    private final ListenerSet listeners;
    private final MailQueue queue;
    private final Path queueDirectory;

    NodeDrain(ListenerSet listeners, MailQueue queue, Path queueDirectory) {
        this.listeners = listeners;
        this.queue = queue;
        this.queueDirectory = queueDirectory;
    }

    @Override
    public AdminReply handle(AdminRequest request) {
        if (!request.path().equals(PATH)) {
            return AdminReplies.NOT_FOUND;
        }
        return switch (request.method()) {
            case "POST" -> {
                start();
                yield AdminReply.text(202, status());
            }
            case "GET" -> AdminReply.text(200, status());
            default -> AdminReplies.METHOD_NOT_ALLOWED;
        };
    }

    /** Idempotent: a second call only reports. */
    void start() {
        if (!draining.compareAndSet(false, true)) {
            return;
        }
        LogLine.event("drain-started").add("open_sessions", listeners.openSessions()).info(LOG);
        listeners.stopAccepting();
        queue.flush();
    }

    private String status() {
        try {
            return "draining: " + (draining.get() ? "yes" : "no") + "\n"
                    + "open-sessions: " + listeners.openSessions() + "\n"
                    + QueueBacklog.scan(queueDirectory).text();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public String name() {
        return "drain";
    }

    @Override
    public Status check() {
        return draining.get() ? Status.failing("draining: not accepting new connections") : Status.ok();
    }
}
