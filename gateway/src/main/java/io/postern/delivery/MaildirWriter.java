package io.postern.delivery;

import io.postern.mail.MessageContent;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Instant;
import java.util.HexFormat;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Writes messages into a Maildir the way every Maildir reader expects: into {@code tmp/} under a
 * unique name, fsync, rename into {@code new/}, fsync {@code new/}. Names are
 * {@code <seconds>.M<micros>P<pid>Q<sequence>R<random>.<host>,S=<size>}: the host name keeps
 * nodes apart on shared storage, the sequence keeps threads apart, the random part keeps
 * restarted processes with a recycled pid apart. Creates {@code tmp/ new/ cur/} on first
 * delivery. Immutable, thread-safe.
 */
public final class MaildirWriter {
    private static final int BUFFER = 64 * 1024;
    private static final SecureRandom RANDOM = new SecureRandom();

    private final String host;
    private final Clock clock;
    private final long pid = ProcessHandle.current().pid();
    private final AtomicLong sequence = new AtomicLong();

    public MaildirWriter(String hostname) {
        this(hostname, Clock.systemUTC());
    }

    MaildirWriter(String hostname, Clock clock) {
        this.host = safeHost(hostname);
        this.clock = clock;
    }

    /**
     * Delivers {@code prefix} (the headers the MDA adds) followed by {@code content} into
     * {@code maildir}; returns the file in {@code new/}. Nothing is left in {@code tmp/} on failure.
     */
    public Path deliver(Path maildir, byte[] prefix, MessageContent content) throws IOException {
        ensureMaildir(maildir);
        String base = uniqueName();
        Path tmp = maildir.resolve("tmp").resolve(base);
        long size;
        try {
            size = write(tmp, prefix, content);
        } catch (IOException | RuntimeException e) {
            Files.deleteIfExists(tmp);
            throw e;
        }
        Path target = maildir.resolve("new").resolve(base + ",S=" + size);
        try {
            Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException | RuntimeException e) {
            Files.deleteIfExists(tmp);
            throw e;
        }
        fsyncDirectory(target.getParent());
        return target;
    }

    private static long write(Path tmp, byte[] prefix, MessageContent content) throws IOException {
        try (FileChannel channel = FileChannel.open(tmp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
             InputStream in = content.open()) {
            long written = writeFully(channel, ByteBuffer.wrap(prefix));
            byte[] buffer = new byte[BUFFER];
            int n;
            while ((n = in.read(buffer)) > 0) {
                written += writeFully(channel, ByteBuffer.wrap(buffer, 0, n));
            }
            channel.force(true);
            return written;
        }
    }

    private static long writeFully(FileChannel channel, ByteBuffer buffer) throws IOException {
        long n = buffer.remaining();
        while (buffer.hasRemaining()) {
            channel.write(buffer);
        }
        return n;
    }

    /** Creates {@code tmp/ new/ cur/} when missing and makes the new folders durable. */
    static void ensureMaildir(Path maildir) throws IOException {
        if (Files.isDirectory(maildir.resolve("new")) && Files.isDirectory(maildir.resolve("tmp"))
                && Files.isDirectory(maildir.resolve("cur"))) {
            return;
        }
        createDirectoriesDurably(maildir);
        for (String sub : new String[] {"tmp", "new", "cur"}) {
            Files.createDirectories(maildir.resolve(sub));
        }
        fsyncDirectory(maildir);
    }

    /** Like {@link Files#createDirectories}, then fsyncs the parent of every folder it created. */
    static void createDirectoriesDurably(Path directory) throws IOException {
        Path existing = directory;
        while (existing != null && !Files.exists(existing)) {
            existing = existing.getParent();
        }
        Files.createDirectories(directory);
        for (Path p = directory; p != null && !p.equals(existing); p = p.getParent()) {
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
        RANDOM.nextBytes(random);
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
