package io.postern.delivery;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The group commit itself, with a fake sync that each test opens and closes by hand. */
class SyncPointTest {
    private final ExecutorService threads = Executors.newCachedThreadPool();

    /** A sync that blocks until released; sync number i (from 0) fails when {@code failing[i]}. */
    private static final class GatedSync implements SyncPoint.Action {
        final List<CountDownLatch> entered = new ArrayList<>();
        final List<CountDownLatch> release = new ArrayList<>();
        final boolean[] failing;
        int calls;

        GatedSync(int syncs, boolean... failing) {
            for (int i = 0; i < syncs; i++) {
                entered.add(new CountDownLatch(1));
                release.add(new CountDownLatch(1));
            }
            this.failing = failing;
        }

        @Override
        public void sync() throws IOException {
            int mine;
            synchronized (this) {
                mine = calls++;
            }
            entered.get(mine).countDown();
            try {
                release.get(mine).await();
            } catch (InterruptedException e) {
                throw new IOException(e);
            }
            if (mine < failing.length && failing[mine]) {
                throw new IOException("syncfs failed: errno 5 (Input/output error)");
            }
        }

        void awaitEntered(int i) throws InterruptedException {
            assertThat(entered.get(i).await(30, TimeUnit.SECONDS)).as("sync " + i + " started").isTrue();
        }
    }

    @AfterEach
    void stop() {
        threads.shutdownNow();
    }

    private Future<Void> deliver(SyncPoint point) {
        return threads.submit(() -> {
            point.await(point.failures());
            return null;
        });
    }

    private static void until(BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (!condition.getAsBoolean()) {
            assertThat(System.nanoTime()).as("condition within 30 s").isLessThan(deadline);
            Thread.sleep(1);
        }
    }

    @Test
    void aLoneDeliveryRunsOneSyncOnItsOwnThread() throws Exception {
        List<Thread> ranOn = new ArrayList<>();
        SyncPoint point = new SyncPoint(() -> ranOn.add(Thread.currentThread()), "test");

        point.await(point.failures());
        point.await(point.failures());

        assertThat(point.syncs()).isEqualTo(2);
        assertThat(ranOn).containsExactly(Thread.currentThread(), Thread.currentThread());
    }

    @Test
    void deliveriesArrivingDuringASyncWaitForTheNextOneAndShareIt() throws Exception {
        GatedSync sync = new GatedSync(2);
        SyncPoint point = new SyncPoint(sync, "test");

        Future<Void> first = deliver(point);
        sync.awaitEntered(0);
        Future<Void> second = deliver(point);
        Future<Void> third = deliver(point);
        until(() -> point.waiting() == 3);

        sync.release.get(0).countDown();
        first.get(30, TimeUnit.SECONDS);
        // The first sync began before they linked their files: it must not release them.
        sync.awaitEntered(1);
        assertThat(second.isDone()).isFalse();
        assertThat(third.isDone()).isFalse();

        sync.release.get(1).countDown();
        second.get(30, TimeUnit.SECONDS);
        third.get(30, TimeUnit.SECONDS);
        assertThat(point.syncs()).as("three deliveries, two syncs").isEqualTo(2);
    }

    @Test
    void aFailedSyncFailsExactlyItsBatchAndTheNextSyncIsTriedAgain() throws Exception {
        GatedSync sync = new GatedSync(3, false, true, false);
        SyncPoint point = new SyncPoint(sync, "/spool");

        Future<Void> before = deliver(point);
        sync.awaitEntered(0);
        Future<Void> failedA = deliver(point);
        Future<Void> failedB = deliver(point);
        until(() -> point.waiting() == 3);
        sync.release.get(0).countDown();
        before.get(30, TimeUnit.SECONDS);

        sync.awaitEntered(1);
        sync.release.get(1).countDown();
        for (Future<Void> failed : List.of(failedA, failedB)) {
            assertThatThrownBy(() -> failed.get(30, TimeUnit.SECONDS)).isInstanceOf(ExecutionException.class)
                    .cause().isInstanceOf(IOException.class).hasMessageContaining("Input/output error");
        }
        assertThat(point.failures()).isEqualTo(1);

        Future<Void> after = deliver(point);
        sync.awaitEntered(2);
        sync.release.get(2).countDown();
        after.get(30, TimeUnit.SECONDS);
        assertThat(point.syncs()).isEqualTo(3);
        assertThat(point.failures()).isEqualTo(1);
    }

    @Test
    void aSyncThatThrowsAnUncheckedExceptionDoesNotBlockLaterDeliveries() throws Exception {
        int[] calls = {0};
        SyncPoint point = new SyncPoint(() -> {
            if (calls[0]++ == 0) {
                throw new IllegalStateException("bug");
            }
        }, "test");

        assertThatThrownBy(() -> point.await(point.failures())).isInstanceOf(IOException.class).hasMessageContaining("bug");
        Future<Void> next = deliver(point);
        try {
            next.get(30, TimeUnit.SECONDS);
        } catch (TimeoutException e) {
            throw new AssertionError("the sync point stayed blocked after a failed sync", e);
        }
    }

    @Test
    void aDeliveryWrittenWhileAnotherBatchsSyncFailedFailsToo() throws Exception {
        // The kernel reports a write-back error to one syncfs only: it may have hit this writer's pages.
        int[] calls = {0};
        SyncPoint point = new SyncPoint(() -> {
            if (calls[0]++ == 0) {
                throw new IOException("syncfs failed: errno 5 (Input/output error)");
            }
        }, "test");
        long before = point.failures(); // read before this delivery writes its file

        assertThatThrownBy(() -> point.await(point.failures())).isInstanceOf(IOException.class); // another batch
        assertThatThrownBy(() -> point.await(before)).isInstanceOf(IOException.class)
                .hasMessageContaining("failed while this message was being written");
        point.await(point.failures()); // written after the failure: fine
        assertThat(point.syncs()).isEqualTo(3);
    }
}
