package io.postern.delivery;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;

/**
 * The {@code errno} of a C call made through the FFM API, captured with
 * {@link Linker.Option#captureCallState}, and its text from {@code strerror(3)}: what the JDK would
 * put into an {@link IOException}. Shared by the package's Linux bindings ({@link Syncfs},
 * {@link UnnamedFiles}). Immutable, thread-safe.
 */
final class Errno {
    static final int ENOENT = 2;
    static final int EEXIST = 17;
    static final int EISDIR = 21;
    static final int EINVAL = 22;
    static final int EOPNOTSUPP = 95;

    /** The option that makes a downcall capture {@code errno}. */
    static final Linker.Option CAPTURE = Linker.Option.captureCallState("errno");

    private final MethodHandle strerror;
    private final StructLayout state = Linker.Option.captureStateLayout();
    private final VarHandle errno = state.varHandle(MemoryLayout.PathElement.groupElement("errno"));

    /** Binds {@code strerror}; throws what {@link Linker#downcallHandle} throws when native access is refused. */
    Errno(Linker linker, MemorySegment strerrorSymbol) {
        this.strerror = linker.downcallHandle(strerrorSymbol,
                FunctionDescriptor.of(ValueLayout.ADDRESS, ValueLayout.JAVA_INT));
    }

    /** Room for the captured state of one call. */
    MemorySegment allocate(Arena arena) {
        return arena.allocate(state);
    }

    /** The {@code errno} the call left in {@code captured}. */
    int code(MemorySegment captured) {
        return (int) errno.get(captured, 0L);
    }

    /** {@code "<call> failed: errno N (text)"}, for the call that left {@code code}. */
    IOException failure(String call, int code) {
        String message;
        try {
            MemorySegment text = (MemorySegment) strerror.invokeExact(code);
            message = text.equals(MemorySegment.NULL) ? "" : text.reinterpret(256).getString(0);
        } catch (Throwable e) {
            message = "";
        }
        return new IOException(call + " failed: errno " + code + " (" + message + ")");
    }
}
