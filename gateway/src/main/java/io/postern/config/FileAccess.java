package io.postern.config;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.GroupPrincipal;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.EnumSet;
import java.util.Optional;
import java.util.Set;

/**
 * Who may read the files Postern creates: the mode of new files and directories, and optionally
 * the group they belong to (shared spool storage read by nodes running as other users of that
 * group). Immutable value, plus the few create operations that apply it, so that no spool or queue
 * file is ever readable by others, not even for a moment: Java cannot set the process umask, so
 * every create passes the mode as an attribute (which the umask can only narrow), and a mode with
 * group bits or a group is then set explicitly. On a file system without POSIX permissions the
 * attributes are left out.
 */
public record FileAccess(Set<PosixFilePermission> fileMode, Set<PosixFilePermission> directoryMode,
                         Optional<String> group) {
    private static final Set<PosixFilePermission> OTHERS = EnumSet.of(PosixFilePermission.OTHERS_READ,
            PosixFilePermission.OTHERS_WRITE, PosixFilePermission.OTHERS_EXECUTE);

    /** Owner read and write, owner-only directories: the default for the queue and the spool. */
    public static final FileAccess OWNER_ONLY = new FileAccess(PosixFilePermissions.fromString("rw-------"),
            PosixFilePermissions.fromString("rwx------"), Optional.empty());

    public FileAccess {
        fileMode = Set.copyOf(fileMode);
        directoryMode = Set.copyOf(directoryMode);
        if (fileMode.stream().anyMatch(OTHERS::contains) || directoryMode.stream().anyMatch(OTHERS::contains)) {
            throw new IllegalArgumentException("spool and queue files are never accessible to others");
        }
    }

    /** Opens a new file with the file mode (and group); {@code options} must create it. */
    public FileChannel create(Path file, OpenOption... options) throws IOException {
        boolean existed = Files.exists(file);
        FileChannel channel = posix(file) ? FileChannel.open(file, Set.of(options), fileAttribute())
                : FileChannel.open(file, options);
        if (!existed) {
            try {
                finish(file, fileMode);
            } catch (IOException e) {
                channel.close();
                throw e;
            }
        }
        return channel;
    }

    /** Writes a whole new file ({@code CREATE_NEW}) with the file mode. */
    public void write(Path file, byte[] bytes) throws IOException {
        try (FileChannel channel = create(file, java.nio.file.StandardOpenOption.CREATE_NEW,
                java.nio.file.StandardOpenOption.WRITE)) {
            java.nio.ByteBuffer buffer = java.nio.ByteBuffer.wrap(bytes);
            while (buffer.hasRemaining()) {
                channel.write(buffer);
            }
        }
    }

    /**
     * Like {@link Files#createDirectories}, each directory it creates getting the directory mode;
     * returns the directories it created, outermost first (callers that fsync parents need them).
     */
    public Deque<Path> createDirectories(Path directory) throws IOException {
        Deque<Path> missing = new ArrayDeque<>();
        for (Path p = directory.toAbsolutePath(); p != null && !Files.isDirectory(p); p = p.getParent()) {
            missing.push(p);
        }
        Deque<Path> created = new ArrayDeque<>();
        for (Path p : missing) {
            try {
                if (posix(p.getParent())) {
                    Files.createDirectory(p, PosixFilePermissions.asFileAttribute(directoryMode));
                } else {
                    Files.createDirectory(p);
                }
            } catch (FileAlreadyExistsException e) {
                if (!Files.isDirectory(p)) {
                    throw e;
                }
                continue; // another thread or node made it first
            }
            finish(p, directoryMode);
            created.add(p);
        }
        return created;
    }

    private FileAttribute<Set<PosixFilePermission>> fileAttribute() {
        return PosixFilePermissions.asFileAttribute(fileMode);
    }

    /**
     * The file mode as {@code open(2)} takes it, when a file created with it needs nothing more;
     * empty when a group must be set (by path, after the create) too.
     */
    public java.util.OptionalInt nativeFileMode() {
        if (group.isPresent()) {
            return java.util.OptionalInt.empty();
        }
        int bits = 0;
        for (PosixFilePermission permission : fileMode) {
            bits |= 1 << (8 - permission.ordinal()); // OWNER_READ is ordinal 0, the highest of the nine bits
        }
        return java.util.OptionalInt.of(bits);
    }

    /** Whether the mode has group bits, which the umask may clear: then it is set again after the create. */
    public boolean fileModeNeedsChmod() {
        return fileMode.stream().anyMatch(p -> p.name().startsWith("GROUP"));
    }

    /** The umask may have cleared group bits the operator asked for; the group is set here too. */
    private void finish(Path path, Set<PosixFilePermission> mode) throws IOException {
        PosixFileAttributeView view = Files.getFileAttributeView(path, PosixFileAttributeView.class);
        if (view == null) {
            return;
        }
        if (group.isPresent()) {
            GroupPrincipal principal = path.getFileSystem().getUserPrincipalLookupService()
                    .lookupPrincipalByGroupName(group.get());
            view.setGroup(principal);
        }
        if (mode.stream().anyMatch(p -> p.name().startsWith("GROUP")) || group.isPresent()) {
            view.setPermissions(mode);
        }
    }

    private static boolean posix(Path path) {
        return path != null && path.getFileSystem().supportedFileAttributeViews().contains("posix");
    }

    /** Parses an octal mode such as {@code 0640}; empty when it is not one. */
    static Optional<Set<PosixFilePermission>> parseMode(String octal) {
        if (!octal.matches("0?[0-7]{3}")) {
            return Optional.empty();
        }
        int bits = Integer.parseInt(octal, 8);
        StringBuilder text = new StringBuilder();
        String letters = "rwxrwxrwx";
        for (int i = 0; i < 9; i++) {
            text.append((bits & (1 << (8 - i))) != 0 ? letters.charAt(i) : '-');
        }
        return Optional.of(PosixFilePermissions.fromString(text.toString()));
    }
}
