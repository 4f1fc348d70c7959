package io.postern.protocol;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.util.concurrent.ImmediateEventExecutor;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import org.junit.jupiter.api.Test;

/** The one off-loop policy, step by step (work runs inline here, so nothing waits on another thread). */
class OffLoopTest {
    private final List<String> events = new ArrayList<>();
    private boolean closed;

    private final OffLoop.Session session = new OffLoop.Session() {
        @Override
        public void suspend() {
            events.add("suspend");
        }

        @Override
        public void resume() {
            events.add("resume");
        }

        @Override
        public boolean closed() {
            return closed;
        }

        @Override
        public void failed(Throwable cause) {
            events.add("failed " + cause.getMessage());
        }

        @Override
        public void stopping() {
            events.add("stopping");
        }
    };

    private OffLoop offLoop(Executor executor) {
        return new OffLoop(executor, ImmediateEventExecutor.INSTANCE, session);
    }

    @Test
    void theResultArrivesAfterTheSessionResumed() {
        offLoop(Runnable::run).run(() -> "x", v -> events.add("then " + v));

        assertThat(events).containsExactly("suspend", "resume", "then x");
    }

    @Test
    void failingWorkIsTheSessionsTemporaryFailureAndTheSessionGoesOn() {
        offLoop(Runnable::run).run(() -> {
            throw new IllegalStateException("ldap down");
        }, v -> events.add("then " + v));

        assertThat(events).containsExactly("suspend", "resume", "failed ldap down");
    }

    @Test
    void aCallSiteMayAnswerItsOwnFailure() {
        offLoop(Runnable::run).run(() -> {
            throw new IllegalStateException("disk");
        }, v -> events.add("then " + v), e -> events.add("quit failed " + e.getMessage()));

        assertThat(events).containsExactly("suspend", "resume", "quit failed disk");
    }

    @Test
    void aRefusingExecutorMeansTheNodeIsStopping() {
        offLoop(task -> {
            throw new RejectedExecutionException("shut down");
        }).run(() -> "x", v -> events.add("then " + v));

        assertThat(events).containsExactly("suspend", "resume", "stopping");
    }

    @Test
    void nothingRunsForASessionThatClosedMeanwhile() {
        offLoop(task -> {
            closed = true;
            task.run();
        }).run(() -> "x", v -> events.add("then " + v));

        assertThat(events).containsExactly("suspend", "resume");
    }
}
