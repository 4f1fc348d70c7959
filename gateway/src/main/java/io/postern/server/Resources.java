package io.postern.server;

import io.postern.observability.LogLine;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What a node started, in start order, so that a stop (or a failed start) closes it in reverse:
 * listeners stop before the queue, the queue before the directory. Thread-safe.
 */
final class Resources implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Resources.class);

    private final List<AutoCloseable> started = new ArrayList<>();

    synchronized <T extends AutoCloseable> T add(T resource) {
        started.add(resource);
        return resource;
    }

    @Override
    public synchronized void close() {
        for (int i = started.size() - 1; i >= 0; i--) {
            AutoCloseable resource = started.get(i);
            try {
                resource.close();
            } catch (Exception e) {
                LogLine.event("close-failed").add("resource", resource.getClass().getSimpleName())
                        .add("error", e.getMessage()).warn(LOG);
            }
        }
        started.clear();
    }
}
