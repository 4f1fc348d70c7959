package io.postern.queue;

import java.io.IOException;
import java.nio.file.Path;

/**
 * A test seam around the queue's disk I/O: called before every write, every real fsync and every
 * envelope read, so a test can count them or inject a write error (disk full) without a special file system. The
 * production value is {@link #NONE}. Implementations must be thread-safe.
 */
public interface IoHooks {
    IoHooks NONE = new IoHooks() {
    };

    /** Called before bytes are written to {@code file}; throwing fails the write. */
    default void beforeWrite(Path file) throws IOException {
    }

    /** Called before {@code file} (a file or a directory) is fsync'd; throwing fails the fsync. */
    default void beforeFsync(Path file) throws IOException {
    }

    /** Called before a committed envelope is read back from {@code file}. */
    default void beforeRead(Path file) throws IOException {
    }
}
