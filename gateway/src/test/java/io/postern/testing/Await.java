package io.postern.testing;

import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.function.BooleanSupplier;

/**
 * Waits for another thread or process to make a condition true, polling until a deadline. The
 * deadline only bounds a failing test: a passing one returns as soon as the condition holds, so
 * it is generous (a loaded 2-core machine has taken over 10 s for what usually takes 10 ms).
 * Never use it to show that something did not happen: wait for an event that must come after it.
 */
public final class Await {
    /** Long enough for any machine that can run the suite at all. */
    public static final Duration DEADLINE = Duration.ofSeconds(60);
    private static final long POLL_MILLIS = 10;

    private Await() {
    }

    /**
     * A wait's bound: never below {@link #DEADLINE}. Helpers that take a caller's timeout use it,
     * so that a short timeout written for an idle machine cannot fail a test on a loaded one.
     */
    public static Duration atLeast(Duration timeout) {
        return timeout.compareTo(DEADLINE) < 0 ? DEADLINE : timeout;
    }

    /** Returns once {@code condition} holds; fails naming {@code what} after {@link #DEADLINE}. */
    public static void until(String what, BooleanSupplier condition) {
        until(what, DEADLINE, condition);
    }

    public static void until(String what, Duration deadline, BooleanSupplier condition) {
        untilCalled(what, deadline, condition::getAsBoolean);
    }

    /**
     * Like {@link #until(String, BooleanSupplier)} for a check that may throw (a file being
     * written, a socket not yet listening): an exception counts as "not yet", and the last one is
     * attached to the failure.
     */
    public static void untilNoException(String what, Callable<Boolean> condition) {
        untilCalled(what, DEADLINE, condition);
    }

    private static void untilCalled(String what, Duration deadline, Callable<Boolean> condition) {
        long end = System.nanoTime() + deadline.toNanos();
        Exception last = null;
        while (true) {
            try {
                if (condition.call()) {
                    return;
                }
            } catch (Exception e) {
                last = e;
            }
            if (System.nanoTime() - end > 0) {
                AssertionError failure = new AssertionError("waited " + deadline.toSeconds() + " s for: " + what);
                if (last != null) {
                    failure.initCause(last);
                }
                throw failure;
            }
            sleep();
        }
    }

    private static void sleep() {
        try {
            Thread.sleep(POLL_MILLIS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted while waiting", e);
        }
    }
}
