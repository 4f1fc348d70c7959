package io.postern.mailbox;

import io.postern.config.FileAccess;
import java.io.IOException;
import java.io.InputStream;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;

/**
 * An mboxrd file, scanned once at login in one sequential pass (mbox has no index): message
 * boundaries at {@code From } lines, sizes as sent (CRLF, one {@code >} removed from quoted
 * {@code >From } lines), and a UIDL hashed from the {@code From } line and the header (stable
 * while the message is unchanged; duplicates get {@code -2}, {@code -3} in file order).
 * Deleting rewrites the file to a temporary name and renames it over the original, copying mail
 * appended since the snapshot; a failure leaves the original untouched. Mutable, one session.
 */
final class MboxSpool implements Spool {
    /** Longest wait for a delivery's dot-lock before deleting is given up (nothing deleted, session told). */
    static final java.time.Duration DOT_LOCK_WAIT = java.time.Duration.ofSeconds(10);
    /** Header octets hashed into the UIDL. */
    private static final int UID_HEADER_BYTES = 8192;

    private record Range(long rawStart, long contentStart, long contentEnd, long rawEnd) {
    }

    private final Path file;
    private final List<SpoolMessage> messages;
    private final List<Range> ranges;
    private final long snapshotEnd;

    private final FileAccess access;

    private MboxSpool(Path file, List<SpoolMessage> messages, List<Range> ranges, long snapshotEnd,
                      FileAccess access) {
        this.file = file;
        this.access = access;
        this.messages = List.copyOf(messages);
        this.ranges = List.copyOf(ranges);
        this.snapshotEnd = snapshotEnd;
    }

    static MboxSpool scan(Path file) throws IOException {
        return scan(file, FileAccess.OWNER_ONLY);
    }

    /** Reads the mbox; the file that replaces it after an expunge gets {@code access}. */
    static MboxSpool scan(Path file, FileAccess access) throws IOException {
        Scanner scanner = new Scanner();
        long end;
        try (InputStream in = Files.newInputStream(file)) {
            byte[] buffer = new byte[64 * 1024];
            int n;
            while ((n = in.read(buffer)) > 0) {
                for (int i = 0; i < n; i++) {
                    scanner.accept(buffer[i]);
                }
            }
            end = scanner.finish();
        } catch (NoSuchFileException e) {
            return new MboxSpool(file, List.of(), List.of(), 0, access);
        }
        return new MboxSpool(file, scanner.messages, scanner.ranges, end, access);
    }

    @Override
    public List<SpoolMessage> messages() {
        return messages;
    }

    @Override
    public InputStream open(int index) throws IOException {
        Range range = ranges.get(index);
        FileChannel channel = FileChannel.open(file, StandardOpenOption.READ);
        return new CanonicalMessageStream(new RangeInputStream(channel, range.contentStart(), range.contentEnd()), true);
    }

    @Override
    public void markSeen(int index) {
        // mbox has no per-message flags we maintain; the UIDL is what POP3 clients remember.
    }

    @Override
    public UpdateResult delete(Set<Integer> indexes) {
        if (indexes.isEmpty()) {
            return new UpdateResult.Done(0);
        }
        Path temp = file.resolveSibling("." + file.getFileName() + "." + UUID.randomUUID() + ".tmp");
        // The dot-lock first, as the MDA (MboxWriter), mutt and procmail take it before they even
        // open the file: a delivery waits for the rename instead of appending to the old inode,
        // whose mail would be lost. The fcntl lock below keeps out readers that only use fcntl.
        Path dotLock = file.resolveSibling(file.getFileName() + ".lock");
        if (!takeDotLock(dotLock)) {
            return new UpdateResult.Partial(0, indexes.size());
        }
        try (FileChannel source = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE);
             FileLock ignored = source.lock();
             FileChannel target = access.create(temp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            for (int i = 0; i < ranges.size(); i++) {
                if (!indexes.contains(i)) {
                    copy(source, ranges.get(i).rawStart(), ranges.get(i).rawEnd(), target);
                }
            }
            // Mail delivered while the session ran sits after the snapshot: keep it.
            copy(source, snapshotEnd, source.size(), target);
            target.force(true);
            Files.move(temp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            deleteQuietly(temp);
            return new UpdateResult.Partial(0, indexes.size());
        } finally {
            deleteQuietly(dotLock);
        }
        try (FileChannel dir = FileChannel.open(file.getParent(), StandardOpenOption.READ)) {
            dir.force(true);
        } catch (IOException ignored) {
            // Not every file system lets a directory be fsync'd; the rename is already atomic.
        }
        return new UpdateResult.Done(indexes.size());
    }

    /** Creates the dot-lock, waiting up to {@link #DOT_LOCK_WAIT} for a delivery that holds it. */
    private static boolean takeDotLock(Path dotLock) {
        long deadline = System.nanoTime() + DOT_LOCK_WAIT.toNanos();
        byte[] owner = (ProcessHandle.current().pid() + "\n").getBytes(java.nio.charset.StandardCharsets.US_ASCII);
        while (true) {
            try {
                Files.write(dotLock, owner, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
                return true;
            } catch (java.nio.file.FileAlreadyExistsException held) {
                if (System.nanoTime() > deadline) {
                    return false;
                }
                try {
                    Thread.sleep(20);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return false;
                }
            } catch (IOException e) {
                return false;
            }
        }
    }

    private static void copy(FileChannel source, long from, long to, FileChannel target) throws IOException {
        long position = from;
        while (position < to) {
            long n = source.transferTo(position, to - position, target);
            if (n <= 0) {
                throw new IOException("mbox shrank while copying");
            }
            position += n;
        }
    }

    private static void deleteQuietly(Path path) {
        try {
            Files.deleteIfExists(path);
        } catch (IOException ignored) {
            // A stray temporary file is harmless; it starts with a dot and is never listed.
        }
    }

    /** Finds message boundaries and sizes one byte at a time, holding at most one line prefix. */
    private static final class Scanner {
        private static final byte[] FROM = {'F', 'r', 'o', 'm', ' '};
        final List<SpoolMessage> messages = new ArrayList<>();
        final List<Range> ranges = new ArrayList<>();
        private final Map<String, Integer> seenUids = new HashMap<>();

        private long offset;
        private long lineStart;
        private int lineLength;
        private boolean lastCr;
        /** Prefix state: number of '>' then position in "From ". */
        private int quotes;
        private int fromMatched;
        private boolean prefixBroken;

        private boolean inMessage;
        private long rawStart;
        private long contentStart;
        private long size;
        private boolean previousLineEmpty;
        private long previousLineStart;
        private boolean inHeader;
        private MessageDigest digest;
        private int hashed;

        void accept(byte b) {
            if (inMessage && (inHeader || contentStart == -1) && hashed < UID_HEADER_BYTES) {
                digest.update(b);
                hashed++;
            }
            if (!prefixBroken) {
                if (fromMatched == 0 && b == '>') {
                    quotes++;
                } else if (fromMatched < FROM.length && b == FROM[fromMatched]) {
                    fromMatched++;
                } else if (fromMatched < FROM.length) {
                    prefixBroken = true;
                }
                if (fromMatched == FROM.length) {
                    prefixBroken = true;
                    if (quotes == 0) {
                        startMessage();
                    }
                }
            }
            offset++;
            if (b == '\n') {
                endLine();
            } else {
                lineLength++;
                lastCr = b == '\r';
            }
        }

        private void startMessage() {
            // The separator line started at lineStart; the previous message ends before it.
            endMessage(lineStart);
            inMessage = true;
            rawStart = lineStart;
            contentStart = -1;
            size = 0;
            inHeader = true;
            hashed = FROM.length;
            try {
                digest = MessageDigest.getInstance("SHA-256");
            } catch (NoSuchAlgorithmException e) {
                throw new IllegalStateException(e);
            }
            digest.update(FROM);
        }

        private void endLine() {
            int content = lastCr ? lineLength - 1 : lineLength;
            boolean empty = content == 0;
            if (inMessage) {
                if (contentStart == -1) {
                    contentStart = offset;
                } else {
                    boolean quotedFrom = quotes > 0 && fromMatched == FROM.length;
                    size += content + 2 - (quotedFrom ? 1 : 0);
                    if (inHeader && empty) {
                        inHeader = false;
                    }
                }
            }
            previousLineEmpty = empty && inMessage && contentStart != -1 && contentStart != offset;
            previousLineStart = lineStart;
            lineStart = offset;
            lineLength = 0;
            lastCr = false;
            quotes = 0;
            fromMatched = 0;
            prefixBroken = false;
        }

        private void endMessage(long end) {
            if (!inMessage) {
                return;
            }
            if (contentStart == -1) {
                contentStart = end;
            }
            long contentEnd = end;
            long messageSize = size;
            if (previousLineEmpty && previousLineStart >= contentStart) {
                // The blank line that mboxrd writes before the next "From " is the separator's.
                contentEnd = previousLineStart;
                messageSize -= 2;
            }
            String base = Base64.getUrlEncoder().withoutPadding().encodeToString(digest.digest()).substring(0, 32);
            int count = seenUids.merge(base, 1, Integer::sum);
            String uid = count == 1 ? base : base + "-" + count;
            messages.add(new SpoolMessage(uid, Math.max(0, messageSize)));
            ranges.add(new Range(rawStart, contentStart, contentEnd, end));
            inMessage = false;
        }

        long finish() {
            if (lineLength > 0) {
                // A last line without its line end is sent with CRLF added.
                int content = lastCr ? lineLength - 1 : lineLength;
                boolean quotedFrom = quotes > 0 && fromMatched == FROM.length;
                if (inMessage && contentStart != -1) {
                    size += content + 2 - (quotedFrom ? 1 : 0);
                }
                previousLineEmpty = false;
            }
            endMessage(offset);
            return offset;
        }
    }
}
