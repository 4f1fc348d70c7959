package io.postern.directory;

/**
 * Thrown by a directory's in-memory view ({@link Directory#inMemory()}) for a question whose answer
 * memory does not hold fresh: the caller asks the directory itself, off the event loop. A control
 * signal, not an error: one shared instance without a stack trace, so that a miss costs no more
 * than a branch.
 */
public final class NotInMemory extends RuntimeException {
    public static final NotInMemory INSTANCE = new NotInMemory();

    private NotInMemory() {
        super("not answered from memory", null, false, false);
    }
}
