package io.postern.directory.cache;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.LongSupplier;

/**
 * Whether the directory answers: up on any answer of the directory, down only when change
 * tracking (or the readiness probe) finds no server at all; a single TempFail may be a bad
 * entry, not an outage. Feeds the {@code postern.directory.up} gauge and {@link DirectoryReadiness}.
 * Thread-safe.
 */
public final class DirectoryHealth {
    /** The directory's state; UNKNOWN until the first answer or tracker connection. */
    public enum State { UNKNOWN, UP, DOWN }

    private record Seen(State state, String detail) {
    }

    private final AtomicReference<Seen> seen = new AtomicReference<>(new Seen(State.UNKNOWN, "not contacted yet"));
    private final AtomicLong lastProbe = new AtomicLong();
    private final List<Runnable> recoveryListeners = new CopyOnWriteArrayList<>();
    private final long probeInterval;
    private final LongSupplier clock;

    /**
     * @param probeInterval while down, at most one question per this interval goes to the
     *     directory (to notice it is back); the others are answered from the cache or TempFail at once
     * @param clock nanoseconds, the cache's ticker
     */
    public DirectoryHealth(MeterRegistry registry, Duration probeInterval, LongSupplier clock) {
        this.probeInterval = probeInterval.toNanos();
        this.clock = clock;
        this.lastProbe.set(clock.getAsLong() - this.probeInterval);
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

    /**
     * Whether a question may go to the directory now: always while it is not known to be down;
     * while down, one caller per probe interval, so that an outage costs neither a connection
     * attempt per question nor a wait for the connect timeout in every session.
     */
    boolean mayAsk() {
        if (!isDown()) {
            return true;
        }
        long now = clock.getAsLong();
        long last = lastProbe.get();
        return now - last >= probeInterval && lastProbe.compareAndSet(last, now);
    }

    /**
     * Runs {@code listener} each time the directory answers again after it was down (the queue
     * retries the mail it deferred for the directory at once). Listeners run on the thread that got
     * the answer, so they must be quick and must not ask the directory.
     */
    public void onRecovery(Runnable listener) {
        recoveryListeners.add(listener);
    }

    void up() {
        Seen now = seen.get();
        if (now.state() != State.UP && seen.compareAndSet(now, new Seen(State.UP, "ok"))
                && now.state() == State.DOWN) {
            for (Runnable listener : recoveryListeners) {
                try {
                    listener.run();
                } catch (RuntimeException e) {
                    // a listener's trouble must not fail the directory answer that brought it here
                }
            }
        }
    }

    void down(String detail) {
        seen.set(new Seen(State.DOWN, detail));
    }
}
