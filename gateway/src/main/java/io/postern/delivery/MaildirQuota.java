package io.postern.delivery;

import io.postern.config.FileAccess;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.List;

/**
 * Maildir++ quota: the usage of a Maildir read from its {@code maildirsize} file, recomputed from
 * the message names ({@code ,S=}) or sizes when the file is missing, broken, over 5120 bytes, or
 * written for another quota. Readers such as Dovecot and Courier share the same file. Stateless,
 * thread-safe; concurrent recomputations each replace the file atomically.
 */
public final class MaildirQuota {
    static final String FILE = "maildirsize";
    /** Maildir++: a longer file is recomputed, which also keeps appends from growing it for ever. */
    static final int MAX_FILE = 5120;

    private MaildirQuota() {
    }

    /** Bytes used in {@code maildir}, rewriting {@code maildirsize} with {@code quotaBytes} when it must be recomputed. */
    public static long usage(Path maildir, long quotaBytes) throws IOException {
        return usage(maildir, quotaBytes, FileAccess.OWNER_ONLY);
    }

    /** As {@link #usage(Path, long)}, a rewritten {@code maildirsize} getting the spool's {@code access}. */
    public static long usage(Path maildir, long quotaBytes, FileAccess access) throws IOException {
        Path file = maildir.resolve(FILE);
        long stored = readUsage(file, quotaBytes);
        if (stored >= 0) {
            return stored;
        }
        long[] computed = compute(maildir);
        if (Files.isDirectory(maildir)) {
            String text = quotaBytes + "S\n" + computed[0] + " " + computed[1] + "\n";
            // Random, not pid-based: pods on shared storage often all run as pid 1.
            Path tmp = maildir.resolve("tmp").resolve(FILE + "." + java.util.UUID.randomUUID());
            access.createDirectories(tmp.getParent());
            access.write(tmp, text.getBytes(StandardCharsets.US_ASCII));
            Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        }
        return computed[0];
    }

    /** Adds one delivered message to {@code maildirsize} when the file exists (Maildir++ append). */
    public static void record(Path maildir, long bytes) throws IOException {
        Path file = maildir.resolve(FILE);
        if (!Files.exists(file)) {
            return;
        }
        // One short O_APPEND write: concurrent writers interleave whole lines, as Maildir++ expects.
        Files.writeString(file, bytes + " 1\n", StandardCharsets.US_ASCII, StandardOpenOption.WRITE,
                StandardOpenOption.APPEND);
    }

    /** The summed usage, or -1 when the file must be recomputed. */
    static long readUsage(Path file, long quotaBytes) throws IOException {
        List<String> lines;
        try {
            if (Files.size(file) > MAX_FILE) {
                return -1;
            }
            lines = Files.readAllLines(file, StandardCharsets.US_ASCII);
        } catch (NoSuchFileException e) {
            return -1;
        }
        if (lines.isEmpty() || !definesQuota(lines.getFirst(), quotaBytes)) {
            return -1;
        }
        long total = 0;
        for (String line : lines.subList(1, lines.size())) {
            String[] fields = line.trim().split("\\s+");
            if (fields.length != 2) {
                return -1;
            }
            try {
                total += Long.parseLong(fields[0]);
            } catch (NumberFormatException e) {
                return -1;
            }
        }
        return Math.max(0, total);
    }

    private static boolean definesQuota(String definition, long quotaBytes) {
        for (String part : definition.trim().split(",")) {
            if (part.equals(quotaBytes + "S")) {
                return true;
            }
        }
        return false;
    }

    /** {bytes, messages} over {@code new/}, {@code cur/} and every Maildir++ sub-folder. */
    static long[] compute(Path maildir) throws IOException {
        long[] total = new long[2];
        addFolder(maildir, total);
        if (Files.isDirectory(maildir)) {
            try (DirectoryStream<Path> children = Files.newDirectoryStream(maildir, ".*")) {
                for (Path child : children) {
                    if (Files.isDirectory(child)) {
                        addFolder(child, total);
                    }
                }
            }
        }
        return total;
    }

    private static void addFolder(Path folder, long[] total) throws IOException {
        for (String sub : new String[] {"new", "cur"}) {
            Path dir = folder.resolve(sub);
            if (!Files.isDirectory(dir)) {
                continue;
            }
            try (DirectoryStream<Path> files = Files.newDirectoryStream(dir)) {
                for (Path f : files) {
                    long size = sizeFromName(f.getFileName().toString());
                    if (size < 0) {
                        try {
                            size = Files.size(f);
                        } catch (NoSuchFileException e) {
                            continue; // expunged by a reader meanwhile
                        }
                    }
                    total[0] += size;
                    total[1]++;
                }
            }
        }
    }

    /** The {@code ,S=<size>} field of a Maildir name, or -1. */
    static long sizeFromName(String name) {
        int colon = name.indexOf(':');
        String base = colon < 0 ? name : name.substring(0, colon);
        for (String field : base.split(",")) {
            if (field.startsWith("S=")) {
                try {
                    return Long.parseLong(field.substring(2));
                } catch (NumberFormatException e) {
                    return -1;
                }
            }
        }
        return -1;
    }
}
