package io.postern.observability;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Ready while the node can write where it must (the queue, the spools): a volume that went
 * read-only or a spool mount that is gone takes the pod out of its Service instead of failing
 * every message. A directory that does not exist yet counts when its nearest existing ancestor is
 * a writable directory (it will be created on first use). Immutable and thread-safe; only
 * metadata calls, no file is written.
 */
public record WritableDirectoryCheck(String name, Path directory) implements ReadinessCheck {

    @Override
    public Status check() {
        Path existing = directory.toAbsolutePath();
        while (existing != null && !Files.exists(existing)) {
            existing = existing.getParent();
        }
        if (existing == null || !Files.isDirectory(existing)) {
            return Status.failing(directory + " cannot be created (" + existing + " is not a directory)");
        }
        if (!Files.isWritable(existing)) {
            return Status.failing(existing + " is not writable");
        }
        return Status.ok();
    }
}
