package io.postern.config;

import java.util.ArrayList;
import java.util.List;

/**
 * Collects every problem found in a configuration file, so that an operator sees all of them
 * at once instead of fixing one per run. Mutable, not thread-safe: one per load.
 */
public final class ConfigProblems {
    private final List<String> problems = new ArrayList<>();

    public void add(String path, String message) {
        problems.add(path.isEmpty() ? message : path + ": " + message);
    }

    public boolean isEmpty() {
        return problems.isEmpty();
    }

    public List<String> list() {
        return List.copyOf(problems);
    }

    public void throwIfAny() {
        if (!problems.isEmpty()) {
            throw new ConfigException(problems);
        }
    }
}
