package io.postern.milter;

import io.micrometer.core.instrument.MeterRegistry;
import io.postern.config.MilterConfig;
import io.postern.config.MilterDefaultAction;
import io.postern.mail.MessageContent;
import io.postern.observability.LogLine;
import java.io.IOException;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Optional;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One configured milter: a pool of negotiated connections, reused across messages; the circuit
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
            session = pooled();
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
                    .add("queue-id", ctx.queueId()).add("cause", cause.name().toLowerCase(java.util.Locale.ROOT))
                    .add("error", String.valueOf(e.getMessage()))
                    .add("default-action", config.defaultAction().name().toLowerCase(java.util.Locale.ROOT))
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

    private synchronized MilterSession pooled() {
        while (!idle.isEmpty()) {
            MilterSession session = idle.pollFirst();
            if (!session.stale()) {
                return session;
            }
            session.close();
        }
        return null;
    }

    private void release(MilterSession session) {
        synchronized (this) {
            if (!closed && idle.size() < config.maxIdleConnections()) {
                idle.addFirst(session);
                return;
            }
        }
        session.quit();
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
