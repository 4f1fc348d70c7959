package io.postern.smtp.inbound.session;

import io.postern.mail.MessageContent;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A message as received, on disk, while its milters read it: written on the session's event
 * loop as DATA arrives (as the queue's own file is), read by the milters off the loop, then
 * copied into the queue with their edits applied and deleted. The file is created owner-only
 * ({@link Files#createTempFile}); mail is never held in heap whole. Mutable, one per
 * transaction; {@link #open} and {@link #size} are safe once {@link #finish} returned.
 */
final class FilterSpool implements MessageContent {
    private final Path file;
    private final OutputStream out;
    private long size;
    private boolean finished;

    private FilterSpool(Path file) throws IOException {
        this.file = file;
        this.out = new BufferedOutputStream(Files.newOutputStream(file), 64 * 1024);
    }

    static FilterSpool create(Path directory) throws IOException {
        return new FilterSpool(Files.createTempFile(directory, "filter-", ".msg"));
    }

    void write(byte[] bytes, int offset, int length) throws IOException {
        out.write(bytes, offset, length);
        size += length;
    }

    /** No more content: what was buffered reaches the file. */
    void finish() throws IOException {
        if (!finished) {
            finished = true;
            out.close();
        }
    }

    @Override
    public InputStream open() throws IOException {
        return Files.newInputStream(file);
    }

    @Override
    public long size() {
        return size;
    }

    /** Drops the file; idempotent, never throws (a leftover is removed at the next start). */
    void delete() {
        try {
            finish();
        } catch (IOException e) {
            // the file goes anyway
        }
        try {
            Files.deleteIfExists(file);
        } catch (IOException e) {
            // removed at the next start (MessageFilters.create)
        }
    }
}
