package io.postern.delivery;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Optional;

/**
 * Linux {@code syncfs(2)} through the FFM API, on a raw directory descriptor from {@code open(2)}
 * (the JDK hands out no raw descriptors). {@link #load} is empty on another OS, when the C library
 * lacks the symbols, or when native access is denied ({@code --enable-native-access=ALL-UNNAMED}
 * missing under {@code --illegal-native-access=deny}): callers then keep per-file fsyncs.
 * Immutable, thread-safe.
 */
final class Syncfs {
    private static final int O_RDONLY = 0;
    private static final int O_CLOEXEC = 02000000; // the same on every Linux architecture

    private final MethodHandle open;
    private final MethodHandle syncfs;
    private final Errno errno;

    private Syncfs(MethodHandle open, MethodHandle syncfs, Errno errno) {
        this.open = open;
        this.syncfs = syncfs;
        this.errno = errno;
    }

    /** The binding, or why there is none. */
    sealed interface Loaded {
        record Available(Syncfs syncfs) implements Loaded {
        }

        record Unavailable(String reason) implements Loaded {
        }
    }

    private static final Loaded LOADED = bind();

    static Loaded load() {
        return LOADED;
    }

    static Optional<Syncfs> available() {
        return LOADED instanceof Loaded.Available(Syncfs s) ? Optional.of(s) : Optional.empty();
    }

    private static Loaded bind() {
        if (!System.getProperty("os.name", "").toLowerCase(Locale.ROOT).startsWith("linux")) {
            return new Loaded.Unavailable("syncfs is Linux only (os.name " + System.getProperty("os.name") + ")");
        }
        try {
            Linker linker = Linker.nativeLinker();
            SymbolLookup libc = linker.defaultLookup();
            Optional<MemorySegment> openSymbol = libc.find("open");
            Optional<MemorySegment> syncfsSymbol = libc.find("syncfs");
            Optional<MemorySegment> strerrorSymbol = libc.find("strerror");
            if (openSymbol.isEmpty() || syncfsSymbol.isEmpty() || strerrorSymbol.isEmpty()) {
                return new Loaded.Unavailable("the C library has no syncfs");
            }
            MethodHandle open = linker.downcallHandle(openSymbol.get(),
                    FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_INT,
                            ValueLayout.JAVA_INT),
                    Errno.CAPTURE, Linker.Option.firstVariadicArg(2));
            MethodHandle syncfs = linker.downcallHandle(syncfsSymbol.get(),
                    FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT), Errno.CAPTURE);
            return new Loaded.Available(new Syncfs(open, syncfs, new Errno(linker, strerrorSymbol.get())));
        } catch (IllegalCallerException | UnsupportedOperationException | IllegalArgumentException e) {
            return new Loaded.Unavailable("native access refused (" + e.getMessage()
                    + "): start the JVM with --enable-native-access=ALL-UNNAMED");
        }
    }

    /** A read-only descriptor of {@code directory}, kept open by the caller for as long as it syncs. */
    int openDirectory(Path directory) throws IOException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment captured = errno.allocate(arena);
            int fd = (int) open.invokeExact(captured, arena.allocateFrom(directory.toString()), O_RDONLY | O_CLOEXEC, 0);
            if (fd < 0) {
                throw failure("open " + directory, captured);
            }
            return fd;
        } catch (IOException | RuntimeException | Error e) {
            throw e;
        } catch (Throwable e) {
            throw new IllegalStateException("open through FFM", e);
        }
    }

    /** {@code syncfs(fd)}: every dirty file and directory of {@code fd}'s file system written and flushed. */
    void sync(int fd) throws IOException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment captured = errno.allocate(arena);
            if ((int) syncfs.invokeExact(captured, fd) != 0) {
                throw failure("syncfs", captured);
            }
        } catch (IOException | RuntimeException | Error e) {
            throw e;
        } catch (Throwable e) {
            throw new IllegalStateException("syncfs through FFM", e);
        }
    }

    private IOException failure(String call, MemorySegment captured) {
        return errno.failure(call, errno.code(captured));
    }
}
