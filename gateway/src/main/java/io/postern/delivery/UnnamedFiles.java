package io.postern.delivery;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Optional;

/**
 * Linux files without a name ({@code open(2)} with {@code O_TMPFILE}) through the FFM API: written
 * first, then given their one name with {@code linkat(2)}. A Maildir delivery made this way never
 * has an entry in {@code tmp/}, so the shared sync has one directory less to write back per message,
 * and a crash before the link leaves nothing behind. The link goes through {@code /proc/self/fd}
 * ({@code AT_SYMLINK_FOLLOW}), which needs no privilege, unlike {@code AT_EMPTY_PATH}.
 * {@link #available} is empty off Linux, without {@code /proc}, or when native access is denied;
 * a file system without {@code O_TMPFILE} (NFS, FUSE) answers {@link #open} with
 * {@link Unsupported}. Immutable, thread-safe; each {@link UnnamedFile} belongs to one thread.
 */
final class UnnamedFiles {
    private static final int O_WRONLY = 1;
    private static final int O_DIRECTORY = 0200000;
    private static final int O_TMPFILE = 020000000 | O_DIRECTORY; // as the C library defines it, on x86-64 and arm64
    private static final int O_CLOEXEC = 02000000;
    private static final int AT_FDCWD = -100;
    private static final int AT_SYMLINK_FOLLOW = 0x400;
    private static final int EINTR = 4;
    private static final Path OWN_DESCRIPTORS = Path.of("/proc/self/fd");

    private final MethodHandle open;
    private final MethodHandle write;
    private final MethodHandle fchmod;
    private final MethodHandle linkat;
    private final MethodHandle close;
    private final Errno errno;

    private UnnamedFiles(MethodHandle open, MethodHandle write, MethodHandle fchmod, MethodHandle linkat,
                         MethodHandle close, Errno errno) {
        this.open = open;
        this.write = write;
        this.fchmod = fchmod;
        this.linkat = linkat;
        this.close = close;
        this.errno = errno;
    }

    /** The file system refused {@code O_TMPFILE}: the caller writes into {@code tmp/} instead. */
    static final class Unsupported extends IOException {
        Unsupported(String message) {
            super(message);
        }
    }

    private static final Optional<UnnamedFiles> BOUND = bind();

    static Optional<UnnamedFiles> available() {
        return BOUND;
    }

    private static Optional<UnnamedFiles> bind() {
        String arch = System.getProperty("os.arch", "");
        if (!System.getProperty("os.name", "").toLowerCase(Locale.ROOT).startsWith("linux")
                || !(arch.equals("amd64") || arch.equals("x86_64") || arch.equals("aarch64"))
                || !Files.isDirectory(OWN_DESCRIPTORS)) {
            return Optional.empty();
        }
        try {
            Linker linker = Linker.nativeLinker();
            SymbolLookup libc = linker.defaultLookup();
            ValueLayout.OfInt integer = ValueLayout.JAVA_INT;
            MethodHandle open = linker.downcallHandle(libc.findOrThrow("open"),
                    FunctionDescriptor.of(integer, ValueLayout.ADDRESS, integer, integer),
                    Errno.CAPTURE, Linker.Option.firstVariadicArg(2));
            MethodHandle write = linker.downcallHandle(libc.findOrThrow("write"),
                    FunctionDescriptor.of(ValueLayout.JAVA_LONG, integer, ValueLayout.ADDRESS, ValueLayout.JAVA_LONG),
                    Errno.CAPTURE);
            MethodHandle fchmod = linker.downcallHandle(libc.findOrThrow("fchmod"),
                    FunctionDescriptor.of(integer, integer, integer), Errno.CAPTURE);
            MethodHandle linkat = linker.downcallHandle(libc.findOrThrow("linkat"),
                    FunctionDescriptor.of(integer, integer, ValueLayout.ADDRESS, integer, ValueLayout.ADDRESS, integer),
                    Errno.CAPTURE);
            MethodHandle close = linker.downcallHandle(libc.findOrThrow("close"),
                    FunctionDescriptor.of(integer, integer));
            return Optional.of(new UnnamedFiles(open, write, fchmod, linkat, close,
                    new Errno(linker, libc.findOrThrow("strerror"))));
        } catch (IllegalCallerException | UnsupportedOperationException | IllegalArgumentException
                 | java.util.NoSuchElementException e) {
            return Optional.empty();
        }
    }

    /**
     * A new file without a name on {@code directory}'s file system, mode {@code mode} (narrowed by
     * the umask), with a transfer buffer of {@code bufferSize} bytes.
     */
    UnnamedFile open(Path directory, int mode, int bufferSize) throws IOException {
        Arena arena = Arena.ofConfined();
        try {
            MemorySegment captured = errno.allocate(arena);
            int fd = (int) open.invokeExact(captured, arena.allocateFrom(directory.toString()),
                    O_WRONLY | O_TMPFILE | O_CLOEXEC, mode);
            if (fd < 0) {
                int code = errno.code(captured);
                throw switch (code) {
                    // EISDIR: a kernel older than 3.11 took O_TMPFILE for O_DIRECTORY.
                    case Errno.EOPNOTSUPP, Errno.EISDIR, Errno.EINVAL -> new Unsupported(
                            errno.failure("open O_TMPFILE " + directory, code).getMessage());
                    case Errno.ENOENT -> new NoSuchFileException(directory.toString());
                    default -> errno.failure("open O_TMPFILE " + directory, code);
                };
            }
            return new UnnamedFile(fd, arena, arena.allocate(Math.max(1, bufferSize)), captured);
        } catch (IOException | RuntimeException | Error e) {
            arena.close();
            throw e;
        } catch (Throwable e) {
            arena.close();
            throw new IllegalStateException("open through FFM", e);
        }
    }

    /** An open file without a name; {@link #close} frees it unless {@link #link} named it. Not thread-safe. */
    final class UnnamedFile implements AutoCloseable {
        private final int fd;
        private final Arena arena;
        private final MemorySegment buffer;
        private final MemorySegment captured;

        private UnnamedFile(int fd, Arena arena, MemorySegment buffer, MemorySegment captured) {
            this.fd = fd;
            this.arena = arena;
            this.buffer = buffer;
            this.captured = captured;
        }

        /** Appends {@code length} bytes of {@code bytes} from {@code offset}. */
        void write(byte[] bytes, int offset, int length) throws IOException {
            int done = 0;
            while (done < length) {
                int chunk = (int) Math.min(buffer.byteSize(), length - done);
                MemorySegment.copy(bytes, offset + done, buffer, ValueLayout.JAVA_BYTE, 0, chunk);
                long sent = 0;
                while (sent < chunk) {
                    long from = sent;
                    long n = call(() -> (long) write.invokeExact(captured, fd, buffer.asSlice(from), (long) chunk - from));
                    if (n == 0 || (n < 0 && errno.code(captured) != EINTR)) {
                        throw n == 0 ? new IOException("write wrote nothing") : errno.failure("write", errno.code(captured));
                    }
                    sent += Math.max(0, n); // a partial write is rare on a local file; the rest follows
                }
                done += chunk;
            }
        }

        /** Sets the mode explicitly: the umask may have cleared bits the operator asked for. */
        void chmod(int mode) throws IOException {
            if ((int) call(() -> (long) (int) fchmod.invokeExact(captured, fd, mode)) != 0) {
                throw errno.failure("fchmod", errno.code(captured));
            }
        }

        /** Gives the file the name {@code target}; never replaces a file already there. */
        void link(Path target) throws IOException {
            try (Arena names = Arena.ofConfined()) {
                MemorySegment self = names.allocateFrom(OWN_DESCRIPTORS.resolve(Integer.toString(fd)).toString());
                MemorySegment name = names.allocateFrom(target.toString());
                if ((int) call(() -> (long) (int) linkat.invokeExact(captured, AT_FDCWD, self, AT_FDCWD, name,
                        AT_SYMLINK_FOLLOW)) != 0) {
                    int code = errno.code(captured);
                    throw switch (code) {
                        case Errno.EEXIST -> new FileAlreadyExistsException(target.toString());
                        case Errno.ENOENT -> new NoSuchFileException(target.toString());
                        default -> errno.failure("linkat " + target, code);
                    };
                }
            }
        }

        @Override
        public void close() {
            try {
                int ignored = (int) close.invokeExact(fd);
            } catch (Throwable e) {
                throw new IllegalStateException("close through FFM", e);
            } finally {
                arena.close();
            }
        }
    }

    @FunctionalInterface
    private interface NativeCall {
        long run() throws Throwable;
    }

    private static long call(NativeCall call) throws IOException {
        try {
            return call.run();
        } catch (IOException | RuntimeException | Error e) {
            throw e;
        } catch (Throwable e) {
            throw new IllegalStateException("native call through FFM", e);
        }
    }
}
