package io.postern.directory;

/**
 * Receives what change tracking learns about the directory. Implemented by the cache; called
 * from the tracker's own thread, so implementations must be thread-safe and quick.
 */
public interface DirectoryChangeListener {

    /** One entry changed. */
    void changed(DirectoryChange change);

    /** Changes may have been missed (a gap the tracker could not replay): forget everything. */
    void resynchronise();

    /** The tracker reached the directory ({@code true}) or lost every server ({@code false}). */
    void reachability(boolean reachable, String detail);
}
