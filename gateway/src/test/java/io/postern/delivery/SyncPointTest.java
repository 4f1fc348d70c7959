package io.postern.delivery;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
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

    /** A delivery on a thread of its own, which leads the sync when none runs. */
    private Future<CompletableFuture<Void>> lead(SyncPoint point) {
        return threads.submit(() -> point.after(point.failures()));
    }

    @Test
    void aLoneDeliveryRunsOneSyncOnItsOwnThread() throws Exception {
        List<Thread> ranOn = new ArrayList<>();
        SyncPoint point = new SyncPoint(() -> ranOn.add(Thread.currentThread()), "test");

        assertThat(point.after(point.failures())).isCompleted();
        point.await(point.failures());

        assertThat(point.syncs()).isEqualTo(2);
        assertThat(ranOn).containsExactly(Thread.currentThread(), Thread.currentThread());
    }

    @Test
    void deliveriesArrivingDuringASyncReturnAtOnceAndShareTheNextSync() throws Exception {
        GatedSync sync = new GatedSync(2);
        SyncPoint point = new SyncPoint(sync, "test");

        Future<CompletableFuture<Void>> first = lead(point);
        sync.awaitEntered(0);
        // More deliveries than there are delivery threads: none of them blocks its thread.
        List<CompletableFuture<Void>> later = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            later.add(point.after(point.failures()));
        }
        assertThat(point.waiting()).isEqualTo(10);

        sync.release.get(0).countDown();
        // The first sync began before they linked their files: it must not release them.
        sync.awaitEntered(1);
        assertThat(later).noneMatch(CompletableFuture::isDone);

        sync.release.get(1).countDown();
        CompletableFuture.allOf(later.toArray(CompletableFuture[]::new)).get(30, TimeUnit.SECONDS);
        assertThat(first.get(30, TimeUnit.SECONDS)).isCompleted();
        assertThat(point.syncs()).as("eleven deliveries, two syncs").isEqualTo(2);
    }

    @Test
    void aBatchIsReleasedWhenItsSyncEndsNotAfterTheNextOne() throws Exception {
        GatedSync sync = new GatedSync(3);
        SyncPoint point = new SyncPoint(sync, "test");

        Future<CompletableFuture<Void>> leader = lead(point);
        sync.awaitEntered(0);
        CompletableFuture<Void> second = point.after(point.failures());
        sync.release.get(0).countDown();
        sync.awaitEntered(1); // the leader goes on with the second delivery's sync
        CompletableFuture<Void> third = point.after(point.failures());
        sync.release.get(1).countDown();

        sync.awaitEntered(2);
        assertThat(second).as("released by its own sync while the third one's runs").isCompleted();
        assertThat(third).isNotDone();
        sync.release.get(2).countDown();
        third.get(30, TimeUnit.SECONDS);
        assertThat(leader.get(30, TimeUnit.SECONDS)).isCompleted();
        assertThat(point.syncs()).isEqualTo(3);
    }

    @Test
    void aFailedSyncFailsExactlyItsBatchAndTheNextSyncIsTriedAgain() throws Exception {
        GatedSync sync = new GatedSync(3, false, true, false);
        SyncPoint point = new SyncPoint(sync, "/spool");

        Future<CompletableFuture<Void>> before = lead(point);
        sync.awaitEntered(0);
        CompletableFuture<Void> failedA = point.after(point.failures());
        CompletableFuture<Void> failedB = point.after(point.failures());
        sync.release.get(0).countDown();

        sync.awaitEntered(1);
        sync.release.get(1).countDown();
        assertThat(before.get(30, TimeUnit.SECONDS)).isCompleted();
        for (CompletableFuture<Void> failed : List.of(failedA, failedB)) {
            assertThatThrownBy(() -> failed.get(30, TimeUnit.SECONDS)).isInstanceOf(ExecutionException.class)
                    .cause().isInstanceOf(IOException.class).hasMessageContaining("Input/output error");
        }
        assertThat(point.failures()).isEqualTo(1);

        Future<CompletableFuture<Void>> after = lead(point);
        sync.awaitEntered(2);
        sync.release.get(2).countDown();
        assertThat(after.get(30, TimeUnit.SECONDS)).isCompleted();
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
        Future<CompletableFuture<Void>> next = lead(point);
        try {
            assertThat(next.get(30, TimeUnit.SECONDS)).isCompleted();
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
