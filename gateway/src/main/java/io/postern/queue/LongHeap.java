package io.postern.queue;

import java.util.Arrays;

/**
 * A binary min-heap of (due millisecond, queue id) pairs held in two primitive arrays: 16 bytes
 * per scheduled message, so a backlog of a million messages costs about 16 MB of heap and no
 * envelope or body. Entries may be stale (the envelope on disk is the truth); the scheduler drops
 * those when it pops them. Not thread-safe: the scheduler guards it.
 */
final class LongHeap {
    /**
     * Kept in the sign bit of a stored id (ids are positive), so that an entry stays 16 bytes:
     * never seen outside this class, which speaks {@link Due}.
     */
    private static final long FORCED = Long.MIN_VALUE;

    /**
     * One entry: message {@code id} is due at {@code dueMillis}; {@code forced} (pushed by flush,
     * release, a destination's backoff or the directory coming back) means run it even though the
     * envelope on disk names another time.
     */
    record Due(long dueMillis, long id, boolean forced) {
    }

    private long[] due = new long[1024];
    private long[] ids = new long[1024];
    private int size;

    int size() {
        return size;
    }

    boolean isEmpty() {
        return size == 0;
    }

    void push(long dueMillis, long id, boolean forced) {
        if (id < 0) {
            throw new IllegalArgumentException("queue ids are positive");
        }
        if (size == due.length) {
            due = Arrays.copyOf(due, size * 2);
            ids = Arrays.copyOf(ids, size * 2);
        }
        int i = size++;
        due[i] = dueMillis;
        ids[i] = forced ? id | FORCED : id;
        up(i);
    }

    long peekDue() {
        return due[0];
    }

    /** Removes and returns the earliest entry; the heap must not be empty. */
    Due pop() {
        Due top = new Due(due[0], ids[0] & ~FORCED, ids[0] < 0);
        remove();
        return top;
    }

    private void remove() {
        size--;
        if (size > 0) {
            due[0] = due[size];
            ids[0] = ids[size];
            down(0);
        }
        if (due.length > 4096 && size < due.length / 4) {
            due = Arrays.copyOf(due, due.length / 2);
            ids = Arrays.copyOf(ids, ids.length / 2);
        }
    }

    /** Makes every entry due at {@code now} and forced (flush). */
    void forceAll(long now) {
        for (int i = 0; i < size; i++) {
            due[i] = now;
            ids[i] |= FORCED;
        }
        // Equal keys: any order is a heap once ties are broken by id, so restore the order.
        for (int i = size / 2 - 1; i >= 0; i--) {
            down(i);
        }
    }

    /** The smallest id in the heap (the oldest message scheduled), or -1. */
    long minId() {
        long min = Long.MAX_VALUE;
        for (int i = 0; i < size; i++) {
            min = Math.min(min, ids[i] & ~FORCED);
        }
        return size == 0 ? -1 : min;
    }

    private boolean less(int a, int b) {
        return due[a] < due[b] || due[a] == due[b] && (ids[a] & ~FORCED) < (ids[b] & ~FORCED);
    }

    private void up(int i) {
        while (i > 0) {
            int parent = (i - 1) / 2;
            if (!less(i, parent)) {
                return;
            }
            swap(i, parent);
            i = parent;
        }
    }

    private void down(int i) {
        while (true) {
            int left = 2 * i + 1;
            int smallest = i;
            if (left < size && less(left, smallest)) {
                smallest = left;
            }
            if (left + 1 < size && less(left + 1, smallest)) {
                smallest = left + 1;
            }
            if (smallest == i) {
                return;
            }
            swap(i, smallest);
            i = smallest;
        }
    }

    private void swap(int a, int b) {
        long d = due[a];
        due[a] = due[b];
        due[b] = d;
        long x = ids[a];
        ids[a] = ids[b];
        ids[b] = x;
    }
}
