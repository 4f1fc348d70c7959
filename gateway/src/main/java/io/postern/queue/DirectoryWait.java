package io.postern.queue;

import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * The messages last deferred because the directory could not answer. They keep their retry slot,
 * and are also retried as soon as the directory answers again ({@link MailQueue#directoryAnswers}),
 * which is usually much sooner. 8 bytes per message waiting. Thread-safe.
 */
final class DirectoryWait {
    private final Set<Long> ids = new LinkedHashSet<>();

    synchronized void add(long id) {
        ids.add(id);
    }

    synchronized void remove(long id) {
        ids.remove(id);
    }

    synchronized List<Long> drain() {
        List<Long> out = List.copyOf(ids);
        ids.clear();
        return out;
    }

    synchronized int size() {
        return ids.size();
    }
}
