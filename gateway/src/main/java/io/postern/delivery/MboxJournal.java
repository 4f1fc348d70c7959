package io.postern.delivery;

import io.postern.config.FileAccess;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * The intents of keyed mbox appends, one line {@code <key> <offset> <epoch seconds>} each, in
 * {@code <mbox>.postern-journal}: written and fsync'd before the append, read only by a
 * redelivery. Bounded: past {@link #MAX_BYTES} it is rewritten (temporary file, fsync, rename)
 * keeping the last {@link #KEEP} entries. The caller holds the mbox's locks, so one writer at a
 * time. Untrusted on reading (a damaged line is skipped). Mutable, not thread-safe.
 */
final class MboxJournal {
    static final int KEEP = 2048;
    static final long MAX_BYTES = 256 * 1024;

    record Entry(String key, long offset, long epochSecond) {
        Entry {
            Objects.requireNonNull(key);
            if (key.isEmpty() || key.chars().anyMatch(c -> c <= ' ' || c > '~')) {
                throw new IllegalArgumentException("journal key must be printable ASCII without spaces");
            }
        }

        String line() {
            return key + " " + offset + " " + epochSecond + "\n";
        }
    }

    private final Path file;
    private final FileAccess access;

    MboxJournal(Path file) {
        this(file, FileAccess.OWNER_ONLY);
    }

    MboxJournal(Path file, FileAccess access) {
        this.file = file;
        this.access = access;
    }

    /** The latest entry for {@code key}, if the journal still has one. */
    Optional<Entry> find(String key) throws IOException {
        Optional<Entry> found = Optional.empty();
        for (Entry e : read()) {
            if (e.key().equals(key)) {
                found = Optional.of(e);
            }
        }
        return found;
    }

    /** Appends and fsyncs one entry; compacts first when the journal has grown past its bound. */
    void append(Entry entry) throws IOException {
        if (Files.exists(file) && Files.size(file) > MAX_BYTES) {
            compact();
        }
        boolean created = !Files.exists(file);
        try (FileChannel channel = access.create(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.APPEND)) {
            ByteBuffer bytes = ByteBuffer.wrap(entry.line().getBytes(StandardCharsets.US_ASCII));
            while (bytes.hasRemaining()) {
                channel.write(bytes);
            }
            channel.force(true);
        }
        if (created) {
            MaildirWriter.fsyncDirectory(file.getParent());
        }
    }

    private void compact() throws IOException {
        List<Entry> entries = read();
        StringBuilder kept = new StringBuilder();
        for (Entry e : entries.subList(Math.max(0, entries.size() - KEEP), entries.size())) {
            kept.append(e.line());
        }
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        try (FileChannel channel = access.create(tmp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING)) {
            ByteBuffer bytes = ByteBuffer.wrap(kept.toString().getBytes(StandardCharsets.US_ASCII));
            while (bytes.hasRemaining()) {
                channel.write(bytes);
            }
            channel.force(true);
        }
        Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE);
        MaildirWriter.fsyncDirectory(file.getParent());
    }

    private List<Entry> read() throws IOException {
        List<Entry> out = new ArrayList<>();
        List<String> lines;
        try {
            lines = Files.readAllLines(file, StandardCharsets.ISO_8859_1);
        } catch (NoSuchFileException none) {
            return out;
        }
        for (String line : lines) {
            String[] f = line.split(" ");
            if (f.length != 3) {
                continue; // a line cut short by a crash, or damage
            }
            try {
                out.add(new Entry(f[0], Long.parseLong(f[1]), Long.parseLong(f[2])));
            } catch (IllegalArgumentException damaged) {
                // skipped: a redelivery without its entry appends again, it never loses the message
            }
        }
        return out;
    }
}
