package io.postern.milter;

import io.micrometer.core.instrument.MeterRegistry;
import io.postern.config.MilterConfig;
import io.postern.config.MilterDefaultAction;
import io.postern.mail.MessageContent;
import io.postern.observability.LogLine;
import java.io.IOException;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.ArrayList;
import java.util.Optional;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One configured milter: a pool of negotiated connections, each reused for the next messages of
 * the SMTP connection it was opened for (keyed by {@link MilterContext#connectionKey()}); the circuit
 * breaker; the default action when it cannot answer; its meters and log lines. Thread-safe: the
 * pool is synchronized, each conversation owns its connection.
 */
public final class MilterClient implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(MilterClient.class);

    private final MilterConfig config;
    private final CircuitBreaker breaker;
    private final MilterMetrics metrics;
    private final Deque<MilterSession> idle = new ArrayDeque<>();
    private boolean closed;

    public MilterClient(MilterConfig config, MeterRegistry registry) {
        this(config, registry, System::nanoTime);
    }

    MilterClient(MilterConfig config, MeterRegistry registry, LongSupplier nanoClock) {
        this.config = config;
        this.breaker = new CircuitBreaker(config.failureThreshold(), config.retryAfter(), nanoClock);
        this.metrics = new MilterMetrics(registry, config.name());
    }

    public String name() {
        return config.name();
    }

    /** This milter's answer; a failure gives the default action, never an exception. */
    MilterResult check(MilterContext ctx, MessageContent message) {
        if (!breaker.tryAcquire()) {
            metrics.failure(MilterMetrics.Cause.CIRCUIT_OPEN);
            return fallback();
        }
        long start = System.nanoTime();
        MilterSession session = null;
        boolean reused = false;
        try {
            session = pooled(ctx.connectionKey());
            reused = session != null;
            if (session == null) {
                session = MilterSession.open(config);
            }
            MilterResult result;
            try {
                result = session.check(ctx, message, new long[1]);
            } catch (IOException e) {
                if (!reused) {
                    throw e;
                }
                // The milter may have dropped an idle connection in the meantime: one fresh try.
                LogLine.event("milter-reconnect").add("milter", config.name()).add("queue_id", ctx.queueId())
                        .add("error", String.valueOf(e.getMessage())).seconds("elapsed", start, System.nanoTime()).info(LOG);
                session.close();
                session = MilterSession.open(config);
                reused = false;
                result = session.check(ctx, message, new long[1]);
            }
            metrics.latency(System.nanoTime() - start);
            breaker.success();
            release(session);
            count(result);
            return result;
        } catch (IOException | MilterProtocolException e) {
            if (session != null) {
                session.close();
            }
            MilterMetrics.Cause cause = causeOf(e, session == null);
            metrics.failure(cause);
            breaker.failure();
            LogLine.event("milter-failure").add("milter", config.name()).add("address", config.address())
                    .add("queue_id", ctx.queueId()).add("cause", cause.name().toLowerCase(java.util.Locale.ROOT))
                    .add("error", String.valueOf(e.getMessage()))
                    .add("default_action", config.defaultAction().name().toLowerCase(java.util.Locale.ROOT))
                    .seconds("elapsed", start, System.nanoTime()).warn(LOG);
            return fallback();
        }
    }

    private static MilterMetrics.Cause causeOf(Exception e, boolean connecting) {
        if (e instanceof MilterProtocolException) {
            return MilterMetrics.Cause.PROTOCOL;
        }
        if (e instanceof MilterConnection.MilterTimeoutException) {
            return connecting ? MilterMetrics.Cause.CONNECT : MilterMetrics.Cause.TIMEOUT;
        }
        if (e instanceof MilterConnection.MilterClosedException) {
            return MilterMetrics.Cause.CLOSED;
        }
        return connecting ? MilterMetrics.Cause.CONNECT : MilterMetrics.Cause.IO;
    }

    private MilterResult fallback() {
        return config.defaultAction() == MilterDefaultAction.ACCEPT
                ? new MilterResult.Accepted(java.util.List.of(), Optional.empty())
                : new MilterResult.Refused(MilterReplies.UNAVAILABLE);
    }

    private void count(MilterResult result) {
        switch (result) {
            case MilterResult.Accepted a -> {
                metrics.action(a.quarantine().isPresent() ? "quarantine" : "accept");
                a.modifications().forEach(m -> metrics.action(MilterMetrics.kindOf(m)));
            }
            case MilterResult.Refused r -> metrics.action(r.reply().isPermanent() ? "reject" : "tempfail");
            case MilterResult.Discarded d -> metrics.action("discard");
        }
    }

    /** An idle connection that heard this SMTP connection's connect and HELO, if one is alive. */
    private MilterSession pooled(MilterContext.ConnectionKey key) {
        MilterSession found = null;
        List<MilterSession> dead = new ArrayList<>();
        synchronized (this) {
            for (var it = idle.iterator(); it.hasNext(); ) {
                MilterSession session = it.next();
                if (session.reusableFor(key)) {
                    it.remove();
                    if (session.stale()) {
                        dead.add(session);
                    } else {
                        found = session;
                        break;
                    }
                }
            }
        }
        dead.forEach(MilterSession::close);
        return found;
    }

    /** Keeps the connection for the next message of the same SMTP connection; the oldest idle one goes. */
    private void release(MilterSession session) {
        MilterSession evicted = null;
        synchronized (this) {
            if (!closed && session.reusable() && config.maxIdleConnections() > 0) {
                idle.addFirst(session);
                if (idle.size() > config.maxIdleConnections()) {
                    evicted = idle.pollLast();
                }
                session = null;
            }
        }
        if (evicted != null) {
            evicted.quit();
        }
        if (session != null) {
            session.quit();
        }
    }

    /** Closes the idle connections of an SMTP connection that ended: no message will reuse them. */
    void sessionEnded(MilterContext.ConnectionKey key) {
        List<MilterSession> ended = new ArrayList<>();
        synchronized (this) {
            for (var it = idle.iterator(); it.hasNext(); ) {
                MilterSession session = it.next();
                if (session.reusableFor(key)) {
                    it.remove();
                    ended.add(session);
                }
            }
        }
        ended.forEach(MilterSession::quit);
    }

    /** Connections kept for reuse now: for tests. */
    synchronized int idleConnections() {
        return idle.size();
    }

    CircuitBreaker.State circuit() {
        return breaker.state();
    }

    @Override
    public void close() {
        Deque<MilterSession> toClose;
        synchronized (this) {
            closed = true;
            toClose = new ArrayDeque<>(idle);
            idle.clear();
        }
        toClose.forEach(MilterSession::quit);
    }
}
