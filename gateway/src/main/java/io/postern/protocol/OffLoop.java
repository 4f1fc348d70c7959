package io.postern.protocol;

import io.netty.util.concurrent.EventExecutor;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * The one policy for work a protocol session hands off the event loop (directory look-ups,
 * logins, mailbox updates), shared by SMTP, LMTP and POP3:
 * <ol>
 * <li>the session is suspended while the work runs (it reads no further input; what it has
 *     read stays buffered, so pipelined commands keep their order);</li>
 * <li>the result is handed back on the session's event loop, and dropped when the session
 *     closed meanwhile;</li>
 * <li>when the work throws, the session answers the command with its protocol's temporary
 *     failure ({@code 451 4.3.0} in SMTP, {@code -ERR [SYS/TEMP]} in POP3) and goes on in the
 *     state it was in: the failure is that command's, not the session's. A command that ends the
 *     session anyway (POP3 QUIT) ends it after that reply;</li>
 * <li>when the executor refuses the work, the node is stopping: the session answers its
 *     protocol's shutdown reply ({@code 421 4.3.2}, {@code -ERR [SYS/TEMP]}) and closes.</li>
 * </ol>
 * One per session; used on its event loop only.
 */
public final class OffLoop {

    /** What the policy needs from a session. Every method runs on the session's event loop. */
    public interface Session {
        /** Stop reading input; what was read stays buffered. */
        void suspend();

        /** Read (and process buffered input) again. */
        void resume();

        boolean closed();

        /** Step 3: the work threw; answer the temporary failure and go on. */
        void failed(Throwable cause);

        /** Step 4: the executor refused the work; answer the shutdown reply and close. */
        void stopping();
    }

    private final Executor blocking;
    private final EventExecutor loop;
    private final Session session;

    public OffLoop(Executor blocking, EventExecutor loop, Session session) {
        this.blocking = blocking;
        this.loop = loop;
        this.session = session;
    }

    /** Runs {@code work} off the loop, then {@code then} with its result on the loop (see the class comment). */
    public <T> void run(Supplier<T> work, Consumer<T> then) {
        run(work, then, session::failed);
    }

    /** As {@link #run(Supplier, Consumer)}, with the failure answered by {@code failed} instead of the session's default. */
    public <T> void run(Supplier<T> work, Consumer<T> then, Consumer<Throwable> failed) {
        session.suspend();
        try {
            blocking.execute(() -> {
                T result;
                try {
                    result = work.get();
                } catch (RuntimeException e) {
                    onLoop(() -> failed.accept(e));
                    return;
                }
                onLoop(() -> then.accept(result));
            });
        } catch (RejectedExecutionException e) {
            session.resume();
            session.stopping();
        }
    }

    /** Runs {@code task} on the loop, with the session resumed first (and nothing run when it closed meanwhile). */
    public void onLoop(Runnable task) {
        Runnable resumed = () -> {
            session.resume();
            if (!session.closed()) {
                task.run();
            }
        };
        if (loop.inEventLoop()) {
            resumed.run();
        } else {
            loop.execute(resumed);
        }
    }
}
