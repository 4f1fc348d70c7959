package io.postern.outbound;

import io.postern.config.OutboundConfig;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.LongSupplier;

/**
 * What the hand-off knows about each delivery worker address: how many sessions are open to it
 * (at most {@code outbound.handoff.maxSessionsPerWorker}, in use and idle together) and whether it
 * is passed over after a failure (for {@code outbound.handoff.workerRetry}). Health is per address:
 * one dead worker never makes the others look down. Deliveries waiting for a session are woken when
 * one closes. Thread-safe; memory bounded by the addresses the targets resolve to.
 */
final class LmtpWorkers {
    private final OutboundConfig.Handoff limits;
    private final LongSupplier nanoTime;
    private final ConcurrentHashMap<InetSocketAddress, Worker> workers = new ConcurrentHashMap<>();
    private final AtomicInteger rotation = new AtomicInteger();
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition sessionClosed = lock.newCondition();

    LmtpWorkers(OutboundConfig.Handoff limits, LongSupplier nanoTime) {
        this.limits = limits;
        this.nanoTime = nanoTime;
    }

    /** One worker address. */
    final class Worker implements MailSender.SessionGate {
        private final Semaphore sessions = new Semaphore(limits.maxSessionsPerWorker());
        private volatile long passedOverUntil;
        private volatile boolean everFailed;

        @Override
        public boolean tryOpen() {
            return sessions.tryAcquire();
        }

        @Override
        public void closed() {
            sessions.release();
            lock.lock();
            try {
                sessionClosed.signalAll();
            } finally {
                lock.unlock();
            }
        }

        boolean passedOver() {
            return everFailed && passedOverUntil - nanoTime.getAsLong() > 0;
        }

        void failed() {
            passedOverUntil = nanoTime.getAsLong() + limits.workerRetry().toNanos();
            everFailed = true;
        }

        void answered() {
            everFailed = false;
        }

        int openSessions() {
            return limits.maxSessionsPerWorker() - sessions.availablePermits();
        }
    }

    Worker worker(InetSocketAddress address) {
        return workers.computeIfAbsent(address, a -> new Worker());
    }

    /**
     * The order to try: the live workers first, starting at a rotating position so that the load
     * spreads, then the ones passed over (tried only when no live one took the message).
     */
    <T> List<T> order(List<T> targets, java.util.function.Function<T, InetSocketAddress> address) {
        List<T> live = new ArrayList<>();
        List<T> passed = new ArrayList<>();
        for (T t : targets) {
            (worker(address.apply(t)).passedOver() ? passed : live).add(t);
        }
        if (live.size() > 1) {
            int start = Math.floorMod(rotation.getAndIncrement(), live.size());
            List<T> rotated = new ArrayList<>(live.subList(start, live.size()));
            rotated.addAll(live.subList(0, start));
            live = rotated;
        }
        live.addAll(passed);
        return live;
    }

    boolean passedOver(InetSocketAddress address) {
        return worker(address).passedOver();
    }

    /** Waits until a session closes somewhere, at most {@code maxNanos}. */
    void awaitSession(long maxNanos) throws InterruptedException {
        lock.lock();
        try {
            sessionClosed.await(maxNanos, TimeUnit.NANOSECONDS);
        } finally {
            lock.unlock();
        }
    }
}
