package io.postern.smtp.inbound.session;

import io.micrometer.core.instrument.MeterRegistry;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;

/**
 * The SMTP meters of every SMTP-family listener of a node, in one registry: each listener's are
 * resolved once ({@link SessionMeters}) and shared by all its sessions, so that a session counts
 * its commands and replies without a registry look-up. Thread-safe.
 */
public final class SmtpMeters {
    private final MeterRegistry registry;
    private final ConcurrentMap<String, SessionMeters> listeners = new ConcurrentHashMap<>();

    public SmtpMeters(MeterRegistry registry) {
        this.registry = Objects.requireNonNull(registry);
    }

    /**
     * Registers the meters of listener {@code name} now, so that its rejection counters read zero
     * from the start rather than from its first session.
     */
    public void register(String name) {
        of(name);
    }

    SessionMeters of(String name) {
        return listeners.computeIfAbsent(name, n -> new SessionMeters(registry, n));
    }
}
