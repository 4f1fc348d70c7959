package io.postern.config;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Expands {@code ${env:NAME}} and {@code ${file:/path}} in configuration values, so that
 * secrets (LDAP bind password, TLS keys) never have to be written into the file itself. A
 * relative file name is resolved against the configuration file's folder, like every other path
 * in it ({@link #relativeTo}). A reference inside a reference, or a value that itself holds a
 * reference, is a problem, never expanded: one level keeps what is read predictable.
 * Immutable and thread-safe.
 */
public final class SecretResolver {
    private static final Pattern REFERENCE = Pattern.compile("\\$\\{(env|file):([^}]*)}");

    private static final Pattern ANY_REFERENCE = Pattern.compile("\\$\\{(env|file):");

    private final Map<String, String> environment;
    private final Optional<Path> base;

    public SecretResolver(Map<String, String> environment) {
        this(environment, Optional.empty());
    }

    private SecretResolver(Map<String, String> environment, Optional<Path> base) {
        this.environment = Map.copyOf(environment);
        this.base = base;
    }

    /** The same resolver, reading relative {@code ${file:NAME}} against {@code folder} (the configuration file's). */
    public SecretResolver relativeTo(Path folder) {
        return new SecretResolver(environment, Optional.of(folder.toAbsolutePath()));
    }

    public static SecretResolver fromSystem() {
        return new SecretResolver(System.getenv());
    }

    /** The expanded value, or a problem message; a file's trailing newline is dropped. */
    public Result resolve(String raw) {
        Matcher matcher = REFERENCE.matcher(raw);
        StringBuilder out = new StringBuilder();
        while (matcher.find()) {
            String kind = matcher.group(1);
            String name = matcher.group(2);
            if (name.contains("${")) {
                return new Result(null, "nested reference in '" + raw + "': a ${" + kind
                        + ":...} name cannot contain another ${...}; write the name itself");
            }
            Optional<String> value = kind.equals("env") ? env(name) : file(name);
            if (value.isEmpty()) {
                return new Result(null, kind.equals("env")
                        ? "environment variable '" + name + "' is not set"
                        : "cannot read file '" + name + "'" + (path(name).toString().equals(name) ? ""
                                : " (" + path(name) + ")"));
            }
            if (ANY_REFERENCE.matcher(value.get()).find()) {
                return new Result(null, "nested reference: ${" + kind + ":" + name
                        + "} holds another ${...} reference, which is not expanded; put the value itself there");
            }
            matcher.appendReplacement(out, Matcher.quoteReplacement(value.get()));
        }
        matcher.appendTail(out);
        return new Result(out.toString(), null);
    }

    private Optional<String> env(String name) {
        return Optional.ofNullable(environment.get(name));
    }

    private Path path(String name) {
        try {
            Path path = Path.of(name);
            return path.isAbsolute() || base.isEmpty() ? path : base.get().resolve(path).normalize();
        } catch (RuntimeException e) {
            return Path.of("");
        }
    }

    private Optional<String> file(String name) {
        if (name.isEmpty()) {
            return Optional.empty();
        }
        try {
            String text = Files.readString(path(name), StandardCharsets.UTF_8);
            return Optional.of(text.endsWith("\n") ? text.substring(0, text.length() - 1) : text);
        } catch (IOException | RuntimeException e) {
            return Optional.empty();
        }
    }

    /** Either a value or a problem. */
    public record Result(String value, String problem) {
        public boolean ok() {
            return problem == null;
        }
    }
}
