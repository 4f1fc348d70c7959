package io.postern.net;

import io.netty.util.concurrent.DefaultThreadFactory;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadFactory;

/**
 * Every thread and executor the node creates, made here with a name, so that a thread dump says
 * which part a thread belongs to ({@code smtp-io-3}, {@code login-throttle}). Stateless.
 */
public final class Threads {
    private Threads() {
    }

    /** Event loop threads {@code role-N-M} (Netty's fast thread-locals kept). */
    public static ThreadFactory eventLoop(String role) {
        return new DefaultThreadFactory(role);
    }

    /** One virtual thread per task, {@code role-0}, {@code role-1}, ...: blocking work off the event loops. */
    public static ExecutorService virtual(String role) {
        return Executors.newThreadPerTaskExecutor(Thread.ofVirtual().name(role + "-", 0).factory());
    }

    /** One virtual thread {@code name} running {@code task} now: a one-off probe that must not wait for a pool. */
    public static Thread startVirtual(String name, Runnable task) {
        return Thread.ofVirtual().name(name).start(task);
    }

    /** A daemon platform thread {@code name} running {@code loop}, not started: its owner starts it when ready. */
    public static Thread daemon(String name, Runnable loop) {
        return Thread.ofPlatform().name(name).daemon().unstarted(loop);
    }

    /** Daemon platform threads {@code role-0}, {@code role-1}, ...: for a pool or event loop that must not keep the JVM up. */
    public static ThreadFactory daemonPlatform(String role) {
        return Thread.ofPlatform().name(role + "-", 0).daemon().factory();
    }

    /**
     * {@code size} daemon platform threads {@code role-0}, ...: blocking work whose parallelism is the
     * limit (fsyncs, file writes), where a virtual thread per task would not bound it.
     */
    public static ExecutorService fixed(String role, int size) {
        return Executors.newFixedThreadPool(size, daemonPlatform(role));
    }

    /** One daemon thread {@code role} for periodic housekeeping. */
    public static ScheduledExecutorService scheduler(String role) {
        return Executors.newSingleThreadScheduledExecutor(Thread.ofPlatform().daemon().name(role).factory());
    }
}
