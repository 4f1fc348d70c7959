package io.postern.pop3;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * POP3 meters: {@code postern.pop3.logins{result}}, the gauge {@code postern.pop3.sessions} and
 * {@code postern.pop3.retr.bytes}. Thread-safe.
 */
public final class Pop3Metrics {
    /** How a login attempt ended; the tag values of {@code postern.pop3.logins}. */
    enum LoginResult { OK, FAILED, BLOCKED, TEMPFAIL, IN_USE, SYS_PERM }

    private final MeterRegistry registry;
    private final AtomicInteger sessions = new AtomicInteger();
    private final Counter retrBytes;

    public Pop3Metrics(MeterRegistry registry) {
        this.registry = registry;
        registry.gauge("postern.pop3.sessions", sessions);
        this.retrBytes = Counter.builder("postern.pop3.retr.bytes").baseUnit("bytes")
                .description("Octets sent in RETR responses").register(registry);
        for (LoginResult result : LoginResult.values()) {
            counter(result);
        }
    }

    private Counter counter(LoginResult result) {
        return Counter.builder("postern.pop3.logins").tag("result", result.name().toLowerCase(Locale.ROOT))
                .description("POP3 logins by result").register(registry);
    }

    void login(LoginResult result) {
        counter(result).increment();
    }

    void sessionOpened() {
        sessions.incrementAndGet();
    }

    void sessionClosed() {
        sessions.decrementAndGet();
    }

    void retrBytes(long bytes) {
        retrBytes.increment(bytes);
    }

    public int sessions() {
        return sessions.get();
    }
}
