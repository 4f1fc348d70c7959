package io.postern.directory;

import java.util.Objects;

/**
 * The answer to a directory question: a value, or a temporary failure (directory unreachable and
 * nothing cached). Never null, never an exception for "not found": not-found is part of the value
 * type (for example {@link Recipient.Unknown}). Callers turn {@link TempFail} into 451 / -ERR [SYS/TEMP].
 */
public sealed interface Lookup<T> {
    record Found<T>(T value) implements Lookup<T> {
        public Found {
            Objects.requireNonNull(value);
        }
    }

    record TempFail<T>(String reason) implements Lookup<T> {
        public TempFail {
            Objects.requireNonNull(reason);
        }
    }

    static <T> Lookup<T> found(T value) {
        return new Found<>(value);
    }

    static <T> Lookup<T> tempFail(String reason) {
        return new TempFail<>(reason);
    }
}
