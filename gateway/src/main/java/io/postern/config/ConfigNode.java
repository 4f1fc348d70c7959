package io.postern.config;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One mapping of the YAML tree, read by the typed config records. Every read names its key, so
 * every problem names its full path ({@code listeners[2].port}); keys that no record reads are
 * reported as unknown by {@link #finish()}. Mutable (it remembers which keys were read), not
 * thread-safe: used only while loading.
 */
public final class ConfigNode {
    private static final Pattern DURATION = Pattern.compile("(\\d+)(ms|s|m|h|d)");
    private static final Pattern SIZE = Pattern.compile("(\\d+)\\s*(|k|kb|kib|m|mb|mib|g|gb|gib)", Pattern.CASE_INSENSITIVE);

    private final String path;
    private final Map<String, Object> values;
    private final ConfigProblems problems;
    private final SecretResolver secrets;
    private final Set<String> read = new LinkedHashSet<>();
    private final List<ConfigNode> children = new ArrayList<>();

    private ConfigNode(String path, Map<String, Object> values, ConfigProblems problems, SecretResolver secrets) {
        this.path = path;
        this.values = values;
        this.problems = problems;
        this.secrets = secrets;
    }

    public static ConfigNode root(Map<?, ?> values, ConfigProblems problems, SecretResolver secrets) {
        return new ConfigNode("", asStringMap(values), problems, secrets);
    }

    public String path() {
        return path;
    }

    public String pathOf(String key) {
        return path.isEmpty() ? key : path + "." + key;
    }

    public boolean has(String key) {
        read.add(key);
        return values.containsKey(key) && values.get(key) != null;
    }

    /**
     * Whether the nested key {@code keys} (a path of mapping keys below this node) is set, without
     * reading it: no child node is made and nothing is marked read (for rules that span sections).
     */
    public boolean isSet(String... keys) {
        Object current = values;
        for (String key : keys) {
            if (!(current instanceof Map<?, ?> map) || map.get(key) == null) {
                return false;
            }
            current = map.get(key);
        }
        return true;
    }

    public void error(String key, String message) {
        problems.add(pathOf(key), message);
    }

    public ConfigProblems problems() {
        return problems;
    }

    public Optional<String> optionalString(String key) {
        Object raw = raw(key);
        if (raw == null) {
            return Optional.empty();
        }
        if (raw instanceof Map || raw instanceof List) {
            error(key, "expected a single value, found " + describe(raw));
            return Optional.empty();
        }
        SecretResolver.Result resolved = secrets.resolve(String.valueOf(raw));
        if (!resolved.ok()) {
            error(key, resolved.problem());
            return Optional.empty();
        }
        return Optional.of(resolved.value());
    }

    public String string(String key, String fallback) {
        return optionalString(key).orElse(fallback);
    }

    /** A string that must be present. */
    public String required(String key) {
        Optional<String> value = optionalString(key);
        if (value.isEmpty() && raw(key) == null) {
            error(key, "is required");
        }
        return value.orElse("");
    }

    public int integer(String key, int fallback, int min, int max) {
        Object raw = raw(key);
        if (raw == null) {
            return fallback;
        }
        long value;
        if (raw instanceof Number number && !(raw instanceof Double) && !(raw instanceof Float)) {
            value = number.longValue();
        } else {
            try {
                value = Long.parseLong(String.valueOf(raw).trim());
            } catch (NumberFormatException e) {
                error(key, "'" + raw + "' is not a whole number");
                return fallback;
            }
        }
        if (value < min || value > max) {
            error(key, value + " is out of range (" + min + "-" + max + ")");
            return fallback;
        }
        return (int) value;
    }

    public int port(String key, int fallback) {
        Object raw = raw(key);
        if (raw == null) {
            return fallback;
        }
        int before = problems.list().size();
        int value = integer(key, -1, Integer.MIN_VALUE, Integer.MAX_VALUE);
        if (problems.list().size() > before) {
            return fallback;
        }
        if (value < 1 || value > 65535) {
            error(key, value + " is not a port (1-65535)");
            return fallback;
        }
        return value;
    }

    public boolean bool(String key, boolean fallback) {
        Object raw = raw(key);
        if (raw == null) {
            return fallback;
        }
        if (raw instanceof Boolean b) {
            return b;
        }
        error(key, "'" + raw + "' is not true or false");
        return fallback;
    }

    /** Durations are written like {@code 250ms}, {@code 30s}, {@code 5m}, {@code 24h}, {@code 5d}. */
    public Duration duration(String key, Duration fallback) {
        Object raw = raw(key);
        if (raw == null) {
            return fallback;
        }
        Matcher m = DURATION.matcher(String.valueOf(raw).trim());
        if (!m.matches()) {
            error(key, "'" + raw + "' is not a duration (like 250ms, 30s, 5m, 24h, 5d)");
            return fallback;
        }
        long amount = Long.parseLong(m.group(1));
        return switch (m.group(2)) {
            case "ms" -> Duration.ofMillis(amount);
            case "s" -> Duration.ofSeconds(amount);
            case "m" -> Duration.ofMinutes(amount);
            case "h" -> Duration.ofHours(amount);
            default -> Duration.ofDays(amount);
        };
    }

    /** Sizes in bytes, or with a binary suffix: {@code 512}, {@code 64KiB}, {@code 50MB}, {@code 2G}. */
    public long size(String key, long fallback) {
        Object raw = raw(key);
        if (raw == null) {
            return fallback;
        }
        Matcher m = SIZE.matcher(String.valueOf(raw).trim());
        if (!m.matches()) {
            error(key, "'" + raw + "' is not a size (like 1000, 64KiB, 50MiB, 2GiB)");
            return fallback;
        }
        long amount = Long.parseLong(m.group(1));
        String unit = m.group(2).toLowerCase(Locale.ROOT);
        long factor = switch (unit.isEmpty() ? ' ' : unit.charAt(0)) {
            case 'k' -> 1024L;
            case 'm' -> 1024L * 1024;
            case 'g' -> 1024L * 1024 * 1024;
            default -> 1L;
        };
        return amount * factor;
    }

    public <E extends Enum<E>> E enumValue(String key, Class<E> type, E fallback) {
        Optional<String> raw = optionalString(key);
        if (raw.isEmpty()) {
            return fallback;
        }
        for (E constant : type.getEnumConstants()) {
            if (wireName(constant).equals(raw.get())) {
                return constant;
            }
        }
        List<String> allowed = new ArrayList<>();
        for (E constant : type.getEnumConstants()) {
            allowed.add(wireName(constant));
        }
        error(key, "'" + raw.get() + "' is not one of " + String.join(", ", allowed));
        return fallback;
    }

    /** How an enum constant is spelled in YAML: {@code ACTIVE_DIRECTORY} is {@code active-directory}. */
    public static String wireName(Enum<?> constant) {
        return constant.name().toLowerCase(Locale.ROOT).replace('_', '-');
    }

    public List<String> strings(String key, List<String> fallback) {
        Object raw = raw(key);
        if (raw == null) {
            return fallback;
        }
        if (!(raw instanceof List<?> list)) {
            error(key, "expected a list, found " + describe(raw));
            return fallback;
        }
        List<String> out = new ArrayList<>();
        for (int i = 0; i < list.size(); i++) {
            Object item = list.get(i);
            String itemPath = pathOf(key) + "[" + i + "]";
            if (item == null || item instanceof Map || item instanceof List) {
                problems.add(itemPath, "expected a single value, found " + describe(item));
                continue;
            }
            SecretResolver.Result resolved = secrets.resolve(String.valueOf(item));
            if (resolved.ok()) {
                out.add(resolved.value());
            } else {
                problems.add(itemPath, resolved.problem());
            }
        }
        return List.copyOf(out);
    }

    /** Each element of a list of strings checked by {@code parse}, which returns a problem or empty. */
    public <T> List<T> parsedStrings(String key, List<T> fallback, Function<String, Parsed<T>> parse) {
        if (raw(key) == null) {
            return fallback;
        }
        List<String> items = strings(key, List.of());
        List<T> out = new ArrayList<>();
        for (int i = 0; i < items.size(); i++) {
            Parsed<T> parsed = parse.apply(items.get(i));
            if (parsed.problem() != null) {
                problems.add(pathOf(key) + "[" + i + "]", parsed.problem());
            } else {
                out.add(parsed.value());
            }
        }
        return List.copyOf(out);
    }

    /** A nested mapping; a missing one reads as empty so that every default applies. */
    public ConfigNode section(String key) {
        Object raw = raw(key);
        Map<String, Object> map = Map.of();
        if (raw instanceof Map<?, ?> m) {
            map = asStringMap(m);
        } else if (raw != null) {
            error(key, "expected a mapping, found " + describe(raw));
        }
        ConfigNode child = new ConfigNode(pathOf(key), map, problems, secrets);
        children.add(child);
        return child;
    }

    /** A list of mappings, each read as its own node ({@code listeners[0]}, {@code listeners[1]}). */
    public List<ConfigNode> sections(String key) {
        Object raw = raw(key);
        if (raw == null) {
            return List.of();
        }
        if (!(raw instanceof List<?> list)) {
            error(key, "expected a list, found " + describe(raw));
            return List.of();
        }
        List<ConfigNode> out = new ArrayList<>();
        for (int i = 0; i < list.size(); i++) {
            String itemPath = pathOf(key) + "[" + i + "]";
            if (list.get(i) instanceof Map<?, ?> m) {
                ConfigNode child = new ConfigNode(itemPath, asStringMap(m), problems, secrets);
                children.add(child);
                out.add(child);
            } else {
                problems.add(itemPath, "expected a mapping, found " + describe(list.get(i)));
            }
        }
        return out;
    }

    /** Reports every key of this node and its children that no record read. */
    public void finish() {
        for (String key : values.keySet()) {
            if (!read.contains(key)) {
                problems.add(pathOf(key), "unknown key");
            }
        }
        for (ConfigNode child : children) {
            child.finish();
        }
    }

    private Object raw(String key) {
        read.add(key);
        return values.get(key);
    }

    private static Map<String, Object> asStringMap(Map<?, ?> map) {
        Map<String, Object> out = new LinkedHashMap<>();
        map.forEach((k, v) -> out.put(String.valueOf(k), v));
        return out;
    }

    private static String describe(Object value) {
        if (value == null) {
            return "nothing";
        }
        if (value instanceof Map) {
            return "a mapping";
        }
        if (value instanceof List) {
            return "a list";
        }
        return "'" + value + "'";
    }

    /** A parsed value or the problem that stopped it. */
    public record Parsed<T>(T value, String problem) {
        public static <T> Parsed<T> ok(T value) {
            return new Parsed<>(value, null);
        }

        public static <T> Parsed<T> problem(String problem) {
            return new Parsed<>(null, problem);
        }
    }
}
