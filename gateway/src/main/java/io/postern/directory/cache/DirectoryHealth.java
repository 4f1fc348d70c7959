package io.postern.directory.cache;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Whether the directory answers, as last seen by the cache's own loads and by the change
 * tracker. Feeds the {@code postern.directory.up} gauge and {@link DirectoryReadiness}.
 * Thread-safe.
 */
public final class DirectoryHealth {
    /** The directory's state; UNKNOWN until the first answer or tracker connection. */
    public enum State { UNKNOWN, UP, DOWN }

    private record Seen(State state, String detail) {
    }

    private final AtomicReference<Seen> seen = new AtomicReference<>(new Seen(State.UNKNOWN, "not contacted yet"));

    public DirectoryHealth(MeterRegistry registry) {
        Gauge.builder("postern.directory.up", this, h -> h.state() == State.UP ? 1 : 0)
                .description("1 while the directory answers, 0 while every server is unreachable")
                .register(registry);
    }

    public State state() {
        return seen.get().state();
    }

    public String detail() {
        return seen.get().detail();
    }

    public boolean isDown() {
        return state() == State.DOWN;
    }

    void up() {
        Seen now = seen.get();
        if (now.state() != State.UP) {
            seen.compareAndSet(now, new Seen(State.UP, "ok"));
        }
    }

    void down(String detail) {
        seen.set(new Seen(State.DOWN, detail));
    }
}
