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

    /** One daemon thread {@code role} for periodic housekeeping. */
    public static ScheduledExecutorService scheduler(String role) {
        return Executors.newSingleThreadScheduledExecutor(Thread.ofPlatform().daemon().name(role).factory());
    }
}
