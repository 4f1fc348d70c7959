package io.postern.queue;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Random;
import org.junit.jupiter.api.Test;

class LongHeapTest {
    @Test
    void popsInDueOrderThenIdOrder() {
        LongHeap heap = new LongHeap();
        Random random = new Random(42);
        for (int i = 0; i < 10_000; i++) {
            heap.push(random.nextInt(1000), i, i % 3 == 0);
        }
        long lastDue = -1;
        long lastId = -1;
        while (!heap.isEmpty()) {
            LongHeap.Due top = heap.pop();
            assertThat(top.dueMillis() > lastDue || top.dueMillis() == lastDue && top.id() > lastId).isTrue();
            assertThat(top.forced()).isEqualTo(top.id() % 3 == 0);
            lastDue = top.dueMillis();
            lastId = top.id();
        }
    }

    @Test
    void forceAllMakesEverythingDueAndFlagged() {
        LongHeap heap = new LongHeap();
        heap.push(500, 7, false);
        heap.push(100, 9, false);
        heap.forceAll(50);
        assertThat(heap.minId()).isEqualTo(7);
        assertThat(heap.pop()).isEqualTo(new LongHeap.Due(50, 7, true));
        assertThat(heap.pop()).isEqualTo(new LongHeap.Due(50, 9, true));
    }

    /** The bounded-memory claim: a million scheduled messages cost about 16 MB, not envelopes. */
    @Test
    void aMillionScheduledMessagesFitIn32MegabytesOfHeap() {
        Runtime rt = Runtime.getRuntime();
        System.gc();
        long before = rt.totalMemory() - rt.freeMemory();
        LongHeap heap = new LongHeap();
        for (long i = 0; i < 1_000_000; i++) {
            heap.push(1_700_000_000_000L + (i * 7919) % 86_400_000, i, false);
        }
        System.gc();
        long after = rt.totalMemory() - rt.freeMemory();
        assertThat(heap.size()).isEqualTo(1_000_000);
        assertThat(after - before).isLessThan(32L * 1024 * 1024);
    }
}
