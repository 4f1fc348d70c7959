package io.postern.directory.cache;

import io.postern.observability.ReadinessCheck;
import java.util.function.LongSupplier;

/**
 * The {@code directory} condition of {@code /readyz}: ready while the directory answers, or while
 * it does not but the cache holds answers to serve (a warm cache keeps known recipients flowing).
 * Never blocks: it reads state only. Thread-safe.
 */
public class DirectoryReadiness implements ReadinessCheck {
    private final DirectoryHealth health;
    private final LongSupplier cachedAnswers;

    public DirectoryReadiness(DirectoryHealth health, LongSupplier cachedAnswers) {
        this.health = health;
        this.cachedAnswers = cachedAnswers;
    }

    @Override
    public String name() {
        return "directory";
    }

    @Override
    public Status check() {
        return switch (health.state()) {
            case UP -> Status.ok();
            case DOWN -> cachedAnswers.getAsLong() > 0
                    ? new Status(true, "directory unreachable (" + health.detail() + "), serving "
                            + cachedAnswers.getAsLong() + " cached answers")
                    : Status.failing("directory unreachable (" + health.detail() + ") and nothing cached");
            case UNKNOWN -> Status.failing("directory not contacted yet");
        };
    }
}
