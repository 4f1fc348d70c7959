package io.postern.delivery;

import io.postern.config.FileAccess;
import io.postern.mail.MessageContent;
import io.postern.observability.LogLine;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Clock;
import java.time.Instant;
import java.util.HexFormat;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongFunction;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes messages into a Maildir the way every Maildir reader expects: into {@code tmp/} under a
 * unique name, fsync, rename into {@code new/}, fsync {@code new/}; or, when the spool's file system
 * shares its syncs ({@link MaildirDurability}), write a file without a name ({@link UnnamedFiles},
 * no entry in {@code tmp/} at all), link it into {@code new/}, and one {@code syncfs} shared with the
 * deliveries waiting at the same time. Names are
 * {@code <seconds>.M<micros>P<pid>Q<sequence>R<random>.<host>,S=<size>}: the host name keeps
 * nodes apart on shared storage, the sequence keeps threads apart, the random part keeps
 * restarted processes with a recycled pid apart. Creates {@code tmp/ new/ cur/} on first
 * delivery. Immutable, thread-safe.
 *
 * <p>A delivery from the durable queue ({@link #deliverAs}) is named {@code <stem>.<host>,S=<size>}
 * instead, the stem being the same on every attempt ({@link DeliveryKey#stem}); it is published
 * with {@code link(2)}, which never replaces an existing file, and {@link #find} recognises it in
 * {@code new/} or, moved and flagged by a reader, in {@code cur/}.
 */
public final class MaildirWriter {
    private static final Logger LOG = LoggerFactory.getLogger(MaildirWriter.class);
    private static final int BUFFER = 64 * 1024;

    private final String host;
    private final Clock clock;
    private final long pid = ProcessHandle.current().pid();
    private final AtomicLong sequence = new AtomicLong();

    private final FileAccess access;
    private final MaildirDurability durability;
    private final Optional<UnnamedFiles> unnamed;
    /** The file mode for {@code open(2)}; empty when files are created by path ({@code spool.group}). */
    private final OptionalInt unnamedMode;
    /** Set when the spool's file system refused {@code O_TMPFILE}: logged once, then {@code tmp/} is used. */
    private volatile boolean unnamedRefused;

    public MaildirWriter(String hostname) {
        this(hostname, FileAccess.OWNER_ONLY);
    }

    public MaildirWriter(String hostname, FileAccess access) {
        this(hostname, access, MaildirDurability.PER_FILE);
    }

    public MaildirWriter(String hostname, FileAccess access, MaildirDurability durability) {
        this(hostname, Clock.systemUTC(), access, durability);
    }

    MaildirWriter(String hostname, Clock clock) {
        this(hostname, clock, FileAccess.OWNER_ONLY);
    }

    MaildirWriter(String hostname, Clock clock, FileAccess access) {
        this(hostname, clock, access, MaildirDurability.PER_FILE);
    }

    MaildirWriter(String hostname, Clock clock, FileAccess access, MaildirDurability durability) {
        this(hostname, clock, access, durability, UnnamedFiles.available());
    }

    /** {@code unnamed} empty: every file goes through {@code tmp/}, as on a file system without {@code O_TMPFILE}. */
    MaildirWriter(String hostname, Clock clock, FileAccess access, MaildirDurability durability,
                  Optional<UnnamedFiles> unnamed) {
        this.host = safeHost(hostname);
        this.clock = clock;
        this.access = access;
        this.durability = durability;
        this.unnamed = unnamed;
        this.unnamedMode = access.nativeFileMode();
    }

    /**
     * Delivers {@code prefix} (the headers the MDA adds) followed by {@code content} into
     * {@code maildir}; returns the file in {@code new/}. Nothing is left in {@code tmp/} on failure.
     */
    public Path deliver(Path maildir, byte[] prefix, MessageContent content) throws IOException {
        return SyncPoint.join(deliverAsync(maildir, prefix, content));
    }

    /**
     * As {@link #deliver}, but returns once the file is written and linked: the future completes when
     * it is durable (at once with per-file fsyncs, after the shared sync otherwise), or fails with the
     * {@link IOException}. The calling thread never waits for a sync it does not run itself.
     */
    public CompletableFuture<Path> deliverAsync(Path maildir, byte[] prefix, MessageContent content) {
        String base = uniqueName();
        return deliver(maildir, size -> base + ",S=" + size, false, prefix, content);
    }

    /**
     * Delivers under the fixed name {@code <stem>.<host>,S=<size>}; if that name exists already
     * (a concurrent delivery of the same message to the same mailbox), returns it and writes
     * nothing. A temporary file in {@code tmp/} still has a unique name, so concurrent writers never share it.
     */
    public Path deliverAs(Path maildir, String stem, byte[] prefix, MessageContent content) throws IOException {
        return SyncPoint.join(deliverAsAsync(maildir, stem, prefix, content));
    }

    /** {@link #deliverAs} with the completion of {@link #deliverAsync}. */
    public CompletableFuture<Path> deliverAsAsync(Path maildir, String stem, byte[] prefix, MessageContent content) {
        return deliver(maildir, size -> stem + "." + host + ",S=" + size, true, prefix, content);
    }

    /**
     * Writes the message and gives it the name {@code name.apply(size)} in {@code new/}. When
     * {@code keyed}, that name is the same on every attempt and one found there already is a twin's
     * copy, returned as it is (once durable); otherwise it is unique.
     */
    private CompletableFuture<Path> deliver(Path maildir, LongFunction<String> name, boolean keyed, byte[] prefix,
                                            MessageContent content) {
        try {
            boolean shared = durability.covers(prepare(maildir));
            long failures = shared ? durability.point().failures() : 0;
            Path target;
            try {
                target = writeAndLink(maildir, name, keyed, prefix, content, shared);
            } catch (FileAlreadyExistsException twin) {
                if (!keyed) {
                    throw twin;
                }
                // The twin linked it but its sync may still be pending.
                Path found = Path.of(twin.getFile());
                return shared ? durability.point().after(failures).thenApply(done -> found)
                        : CompletableFuture.completedFuture(found);
            }
            return settle(target, shared, failures);
        } catch (IOException | RuntimeException e) {
            return CompletableFuture.failedFuture(e);
        }
    }

    /**
     * Writes and links the file; throws {@link FileAlreadyExistsException} naming the target when a
     * keyed name is taken. Under the shared sync the file is written without a name and linked
     * ({@link UnnamedFiles}); otherwise, or when the file system refuses, it goes through {@code tmp/}.
     */
    private Path writeAndLink(Path maildir, LongFunction<String> name, boolean keyed, byte[] prefix,
                              MessageContent content, boolean shared) throws IOException {
        if (shared && !unnamedRefused && unnamed.isPresent() && unnamedMode.isPresent()) {
            try {
                return writeUnnamed(unnamed.get(), maildir, name, prefix, content);
            } catch (UnnamedFiles.Unsupported refused) {
                unnamedRefused = true;
                LogLine.event("spool-unnamed-files").add("status", "unavailable").add("maildir", maildir)
                        .add("reason", refused.getMessage()).add("instead", "tmp/").warn(LOG);
            }
        }
        return writeStaged(maildir, name, keyed, prefix, content, !shared);
    }

    private Path writeUnnamed(UnnamedFiles files, Path maildir, LongFunction<String> name, byte[] prefix,
                              MessageContent content) throws IOException {
        int mode = unnamedMode.getAsInt();
        try (UnnamedFiles.UnnamedFile file = files.open(maildir.resolve("tmp"), mode, bufferSize(content));
             InputStream in = content.open()) {
            if (access.fileModeNeedsChmod()) {
                file.chmod(mode);
            }
            file.write(prefix, 0, prefix.length);
            long written = prefix.length;
            byte[] buffer = new byte[bufferSize(content)];
            int n;
            while ((n = in.read(buffer)) > 0) {
                file.write(buffer, 0, n);
                written += n;
            }
            Path target = maildir.resolve("new").resolve(name.apply(written));
            file.link(target);
            return target;
        }
    }

    /** Writes into {@code tmp/} (fsync'd when {@code force}), then renames or, when keyed, links into {@code new/}. */
    private Path writeStaged(Path maildir, LongFunction<String> name, boolean keyed, byte[] prefix,
                             MessageContent content, boolean force) throws IOException {
        Path tmp = maildir.resolve("tmp").resolve(uniqueName());
        try {
            long size = write(tmp, prefix, content, access, force);
            Path target = maildir.resolve("new").resolve(name.apply(size));
            if (keyed) {
                publish(tmp, target);
            } else {
                Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
            }
            return target;
        } catch (IOException | RuntimeException e) {
            Files.deleteIfExists(tmp);
            throw e;
        }
    }

    /**
     * Makes the published {@code target} durable: fsync of {@code new/} (the file itself was
     * fsync'd before the link), or the shared sync of its file system, which covers the file's data
     * and both directory entries. When the shared sync fails the file is removed again: its bytes may
     * never have reached the disk, and a retry must write it anew rather than find it ({@link #find}).
     */
    private CompletableFuture<Path> settle(Path target, boolean shared, long failuresBefore) throws IOException {
        if (!shared) {
            fsyncDirectory(target.getParent());
            return CompletableFuture.completedFuture(target);
        }
        CompletableFuture<Path> settled = new CompletableFuture<>();
        durability.point().after(failuresBefore).whenComplete((done, failure) -> {
            if (failure == null) {
                settled.complete(target);
                return;
            }
            try {
                Files.deleteIfExists(target);
            } catch (IOException | RuntimeException gone) {
                failure.addSuppressed(gone);
            }
            settled.completeExceptionally(failure);
        });
        return settled;
    }

    /**
     * Creates the Maildir's folders when missing; returns the device number of {@code new/} when
     * deliveries may share syncs (one {@code stat} that also checks {@code new/}), else -1.
     */
    private long prepare(Path maildir) throws IOException {
        if (!durability.batched()) {
            ensureMaildir(maildir, access);
            return -1;
        }
        Path fresh = maildir.resolve("new");
        java.util.Map<String, Object> attributes;
        try {
            attributes = Files.readAttributes(fresh, "unix:dev,isDirectory");
        } catch (java.nio.file.NoSuchFileException missing) {
            attributes = java.util.Map.of("isDirectory", false);
        }
        if (!Boolean.TRUE.equals(attributes.get("isDirectory")) || !Files.isDirectory(maildir.resolve("tmp"))
                || !Files.isDirectory(maildir.resolve("cur"))) {
            ensureMaildir(maildir, access);
            attributes = Files.readAttributes(fresh, "unix:dev");
        }
        return (Long) attributes.get("dev");
    }

    /**
     * Whether {@code file} looks like a whole copy of {@code content}: it begins with {@code head}
     * (the first bytes the MDA always writes) and ends with exactly {@code content}'s body (after
     * its first blank line). A copy found on a repeat is trusted only then: under the shared sync a
     * name can reach the disk before the bytes do (a crash between the link and the sync), and such
     * a torn copy (empty, zeros, stale blocks) must not count as delivered. Only the body is
     * compared because the header may rightly differ: another {@code Delivered-To}, or another
     * worker's {@code Received} line when a front's key is found ({@link DeliveryKey#anyHost}).
     */
    static boolean holds(Path file, byte[] head, MessageContent content) throws IOException {
        long size = Files.size(file);
        try (InputStream existing = Files.newInputStream(file); InputStream in = content.open()) {
            if (size < head.length || !java.util.Arrays.equals(existing.readNBytes(head.length), head)) {
                return false;
            }
            long headerLength = skipHeader(in);
            long body = content.size() - headerLength;
            if (body <= 0) {
                return true; // nothing after the header to compare
            }
            if (size - head.length < body) {
                return false;
            }
            existing.skipNBytes(size - head.length - body);
            byte[] buffer = new byte[BUFFER];
            int n;
            while ((n = in.readNBytes(buffer, 0, buffer.length)) > 0) {
                byte[] stored = existing.readNBytes(n);
                if (stored.length != n || !java.util.Arrays.equals(stored, 0, n, buffer, 0, n)) {
                    return false;
                }
            }
            return existing.read() < 0;
        }
    }

    /** Reads {@code in} up to and including the first blank line; returns the bytes read (all of them when none). */
    private static long skipHeader(InputStream in) throws IOException {
        long read = 0;
        int last = -1;
        int beforeLast = -1;
        int b;
        while ((b = in.read()) >= 0) {
            read++;
            if (b == '\n' && (last == '\n' || (last == '\r' && beforeLast == '\n'))) {
                return read;
            }
            beforeLast = last;
            last = b;
        }
        return read;
    }

    /** link + unlink: unlike rename, never replaces a file already there under that name. */
    private static void publish(Path tmp, Path target) throws IOException {
        try {
            Files.createLink(target, tmp);
        } catch (FileAlreadyExistsException exists) {
            throw exists;
        } catch (UnsupportedOperationException | FileSystemException noLinks) {
            // A file system without hard links: check, then rename (a concurrent twin could slip in between).
            if (Files.exists(target)) {
                throw new FileAlreadyExistsException(target.toString());
            }
            Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
            return;
        }
        Files.deleteIfExists(tmp);
    }

    /**
     * The message delivered under {@code stem} by this host, if it is still in the Maildir: in
     * {@code new/}, or in {@code cur/} under any flags (POP3 moves {@code new/X} to
     * {@code cur/X:2,S}; IMAP servers add other flags). Three {@code stat}s find the usual
     * places; only when they miss are {@code new/} and {@code cur/} listed, which is why the
     * queue asks for this on a repeated attempt only.
     */
    public Optional<Path> find(Path maildir, String stem, long expectedSize) throws IOException {
        return find(maildir, stem, expectedSize, false);
    }

    /**
     * As above; with {@code anyHost} a copy written under another host name counts too (a
     * front's hand-off key, whose stem is unique over every worker: see {@link DeliveryKey#anyHost}).
     */
    public Optional<Path> find(Path maildir, String stem, long expectedSize, boolean anyHost) throws IOException {
        String base = stem + "." + host;
        String name = base + ",S=" + expectedSize;
        for (Path candidate : new Path[] {maildir.resolve("new").resolve(name),
                maildir.resolve("cur").resolve(name + ":2,S"), maildir.resolve("cur").resolve(name + ":2,")}) {
            if (Files.exists(candidate)) {
                return Optional.of(candidate);
            }
        }
        for (String sub : new String[] {"new", "cur"}) {
            Path folder = maildir.resolve(sub);
            if (!Files.isDirectory(folder)) {
                continue;
            }
            try (DirectoryStream<Path> files = Files.newDirectoryStream(folder,
                    p -> anyHost ? p.getFileName().toString().startsWith(stem + ".")
                            : sameBase(p.getFileName().toString(), base))) {
                for (Path file : files) {
                    return Optional.of(file);
                }
            }
        }
        return Optional.empty();
    }

    /** {@code <base>} alone or followed by {@code ,field=} or {@code :2,flags}; never a longer host name. */
    static boolean sameBase(String fileName, String base) {
        if (!fileName.startsWith(base)) {
            return false;
        }
        if (fileName.length() == base.length()) {
            return true;
        }
        char next = fileName.charAt(base.length());
        return next == ',' || next == ':';
    }

    private static long write(Path tmp, byte[] prefix, MessageContent content, FileAccess access, boolean force)
            throws IOException {
        try (FileChannel channel = access.create(tmp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
             InputStream in = content.open()) {
            long written = writeFully(channel, ByteBuffer.wrap(prefix));
            byte[] buffer = new byte[bufferSize(content)];
            int n;
            while ((n = in.read(buffer)) > 0) {
                written += writeFully(channel, ByteBuffer.wrap(buffer, 0, n));
            }
            if (force) {
                channel.force(true);
            }
            return written;
        }
    }

    /** A copy buffer no larger than the message: a 1 KiB message need not zero 64 KiB. */
    private static int bufferSize(MessageContent content) {
        return (int) Math.max(1, Math.min(BUFFER, content.size()));
    }

    private static long writeFully(FileChannel channel, ByteBuffer buffer) throws IOException {
        long n = buffer.remaining();
        while (buffer.hasRemaining()) {
            channel.write(buffer);
        }
        return n;
    }

    /** Creates {@code tmp/ new/ cur/} when missing and makes the new folders durable. */
    static void ensureMaildir(Path maildir, FileAccess access) throws IOException {
        if (Files.isDirectory(maildir.resolve("new")) && Files.isDirectory(maildir.resolve("tmp"))
                && Files.isDirectory(maildir.resolve("cur"))) {
            return;
        }
        createDirectoriesDurably(maildir, access);
        for (String sub : new String[] {"tmp", "new", "cur"}) {
            access.createDirectories(maildir.resolve(sub));
        }
        fsyncDirectory(maildir);
    }

    /** Like {@link Files#createDirectories} with the spool's mode, then fsyncs the parent of every folder it created. */
    static void createDirectoriesDurably(Path directory, FileAccess access) throws IOException {
        for (Path p : access.createDirectories(directory).reversed()) {
            if (p.getParent() != null) {
                fsyncDirectory(p.getParent());
            }
        }
    }

    static void fsyncDirectory(Path directory) throws IOException {
        try (FileChannel channel = FileChannel.open(directory, StandardOpenOption.READ)) {
            channel.force(true);
        }
    }

    String uniqueName() {
        Instant now = clock.instant();
        byte[] random = new byte[4];
        // Uniqueness, not secrecy (time, pid and sequence are in the name too): a shared SecureRandom
        // is a lock every delivery thread would queue on.
        java.util.concurrent.ThreadLocalRandom.current().nextBytes(random);
        return now.getEpochSecond() + ".M" + (now.getNano() / 1000) + "P" + pid + "Q" + sequence.incrementAndGet()
                + "R" + HexFormat.of().formatHex(random) + "." + host;
    }

    /** Maildir forbids {@code /} and {@code :} in the host part, and {@code ,} separates the size field. */
    static String safeHost(String hostname) {
        StringBuilder out = new StringBuilder();
        for (int i = 0; i < hostname.length(); i++) {
            char c = hostname.charAt(i);
            switch (c) {
                case '/' -> out.append("\\057");
                case ':' -> out.append("\\072");
                case ',' -> out.append("\\054");
                default -> out.append(c < 0x21 || c > 0x7e ? '_' : c);
            }
        }
        return out.isEmpty() ? "localhost" : out.toString();
    }
}
