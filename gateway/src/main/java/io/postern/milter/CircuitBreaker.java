package io.postern.milter;

import java.time.Duration;
import java.util.function.LongSupplier;

/**
 * Stops asking a milter that keeps failing: closed while it answers; open after
 * {@code threshold} failures in a row, when callers are told not to try; after
 * {@code retryAfter}, half-open: one caller probes, and its result closes or reopens the circuit.
 * Thread-safe (synchronized: a few fields, no I/O inside).
 */
final class CircuitBreaker {
    enum State { CLOSED, OPEN, HALF_OPEN }

    private final int threshold;
    private final long retryAfterNanos;
    private final LongSupplier nanoClock;
    private State state = State.CLOSED;
    private int failuresInARow;
    private long openedAt;

    CircuitBreaker(int threshold, Duration retryAfter, LongSupplier nanoClock) {
        this.threshold = threshold;
        this.retryAfterNanos = retryAfter.toNanos();
        this.nanoClock = nanoClock;
    }

    /** True when the caller may talk to the milter; in half-open, only the one probe may. */
    synchronized boolean tryAcquire() {
        return switch (state) {
            case CLOSED -> true;
            case HALF_OPEN -> false;
            case OPEN -> {
                if (nanoClock.getAsLong() - openedAt >= retryAfterNanos) {
                    state = State.HALF_OPEN;
                    yield true;
                }
                yield false;
            }
        };
    }

    synchronized void success() {
        state = State.CLOSED;
        failuresInARow = 0;
    }

    synchronized void failure() {
        failuresInARow++;
        if (state == State.HALF_OPEN || failuresInARow >= threshold) {
            state = State.OPEN;
            openedAt = nanoClock.getAsLong();
        }
    }

    synchronized State state() {
        return state;
    }
}
