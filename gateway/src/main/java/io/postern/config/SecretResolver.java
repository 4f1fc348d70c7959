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
 * secrets (LDAP bind password, TLS keys) never have to be written into the file itself.
 * Immutable and thread-safe.
 */
public final class SecretResolver {
    private static final Pattern REFERENCE = Pattern.compile("\\$\\{(env|file):([^}]*)}");

    private final Map<String, String> environment;

    public SecretResolver(Map<String, String> environment) {
        this.environment = Map.copyOf(environment);
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
            Optional<String> value = kind.equals("env") ? env(name) : file(name);
            if (value.isEmpty()) {
                return new Result(null, kind.equals("env")
                        ? "environment variable '" + name + "' is not set"
                        : "cannot read file '" + name + "'");
            }
            matcher.appendReplacement(out, Matcher.quoteReplacement(value.get()));
        }
        matcher.appendTail(out);
        return new Result(out.toString(), null);
    }

    private Optional<String> env(String name) {
        return Optional.ofNullable(environment.get(name));
    }

    private static Optional<String> file(String name) {
        try {
            String text = Files.readString(Path.of(name), StandardCharsets.UTF_8);
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
