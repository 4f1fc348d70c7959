package io.postern.outbound;

import io.postern.config.OutboundConfig;
import io.postern.observability.LogLine;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Idle sessions kept per destination (address, port, TLS policy) so that several messages to one
 * destination share a connection. Limits: {@code maxIdlePerDestination} sessions,
 * {@code idleTimeout}, {@code maxMessagesPerConnection}. A taken session is probed with RSET (the
 * server may have closed it). Thread-safe (one lock; the network I/O happens outside it).
 */
final class ConnectionPool implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(ConnectionPool.class);
    private final OutboundConfig.Connections limits;
    private final Duration probeTimeout;
    private final OutboundMetrics metrics;
    private final SmtpClient.Protocol protocol;
    private final Map<String, Deque<SmtpConnection>> idle = new HashMap<>();
    private boolean closed;

    ConnectionPool(OutboundConfig.Connections limits, Duration probeTimeout, SmtpClient.Protocol protocol,
                   OutboundMetrics metrics) {
        this.limits = limits;
        this.probeTimeout = probeTimeout;
        this.protocol = protocol;
        this.metrics = metrics;
    }

    /** A live idle session for this destination, if one is kept. */
    Optional<SmtpConnection> take(String key) {
        while (true) {
            SmtpConnection connection;
            synchronized (this) {
                Deque<SmtpConnection> queue = idle.get(key);
                connection = queue == null ? null : queue.pollFirst();
            }
            if (connection == null) {
                return Optional.empty();
            }
            if (!connection.isOpen() || expired(connection, System.nanoTime())) {
                connection.quit();
                continue;
            }
            if (!connection.markBusy()) {
                // A reply arrived while idle: the RSET probe would read it as its own and shift every later one.
                strayReply(connection);
                continue;
            }
            try {
                if (connection.command("RSET", probeTimeout).positive()) {
                    metrics.connection(protocol, "reused");
                    return Optional.of(connection);
                }
            } catch (SessionFailure e) {
                // Closed by the server while idle: try the next one or open a new session.
            }
            connection.close();
        }
    }

    /** Keeps the session for the next message to the same destination, or ends it when a limit says so. */
    void release(String key, SmtpConnection connection) {
        if (!connection.isOpen() || connection.messages() >= limits.maxMessagesPerConnection()) {
            connection.quit();
            return;
        }
        if (!connection.markIdle()) {
            // More replies than commands: which reply answers which command is no longer known.
            strayReply(connection);
            return;
        }
        synchronized (this) {
            Deque<SmtpConnection> queue = idle.computeIfAbsent(key, k -> new ArrayDeque<>());
            if (!closed && queue.size() < limits.maxIdlePerDestination()) {
                queue.addFirst(connection);
                return;
            }
        }
        connection.quit();
    }

    /** A session whose replies no longer match its commands is never reused: closed at once, no QUIT. */
    private void strayReply(SmtpConnection connection) {
        LogLine.event("outbound-stray-reply").add("remote", connection.remoteMta()).warn(LOG);
        metrics.connection(protocol, "stray-reply");
        connection.close();
    }

    /** Ends sessions idle for longer than the idle timeout; called periodically. */
    void sweep() {
        long now = System.nanoTime();
        List<SmtpConnection> expired = new ArrayList<>();
        synchronized (this) {
            for (Iterator<Deque<SmtpConnection>> queues = idle.values().iterator(); queues.hasNext(); ) {
                Deque<SmtpConnection> queue = queues.next();
                queue.removeIf(c -> {
                    if (!c.isOpen() || expired(c, now)) {
                        expired.add(c);
                        return true;
                    }
                    return false;
                });
                if (queue.isEmpty()) {
                    queues.remove();
                }
            }
        }
        expired.forEach(SmtpConnection::quit);
    }

    synchronized int idleCount() {
        return idle.values().stream().mapToInt(Deque::size).sum();
    }

    private boolean expired(SmtpConnection connection, long now) {
        return now - connection.idleSince() > limits.idleTimeout().toNanos();
    }

    @Override
    public void close() {
        List<SmtpConnection> all = new ArrayList<>();
        synchronized (this) {
            closed = true;
            idle.values().forEach(all::addAll);
            idle.clear();
        }
        all.forEach(SmtpConnection::quit);
    }
}
