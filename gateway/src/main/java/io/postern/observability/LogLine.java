package io.postern.observability;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.slf4j.Logger;
import org.slf4j.event.Level;

/**
 * One greppable {@code key=value} log line, such as {@code event=session-end proto=smtp ...}, and
 * the only way Postern writes a log line that carries a value it does not control: HELO names,
 * addresses, login names, commands, remote replies, directory values, exception messages (which
 * quote file names and peers). Keys are fixed by the code; values are quoted and escaped, so a
 * value can never add a key, end the line, or hide text with control, line-separator or
 * bidirectional characters, and the escaping is reversible (the exact value can be read back).
 * The same pairs go to the JSON log as key-value pairs. Mutable builder, one per line; not
 * thread-safe.
 */
public final class LogLine {
    private final StringBuilder text = new StringBuilder(160);
    private final List<String[]> pairs = new ArrayList<>();
    private Throwable cause;

    private LogLine() {
    }

    /** A line that starts with {@code event=<name>}. */
    public static LogLine event(String name) {
        return new LogLine().add("event", name);
    }

    /** Adds {@code key=value}; the value is quoted when it holds anything but safe printable ASCII. */
    public LogLine add(String key, Object value) {
        String raw = String.valueOf(value);
        if (!text.isEmpty()) {
            text.append(' ');
        }
        text.append(key).append('=').append(quote(raw));
        pairs.add(new String[] {key, raw});
        return this;
    }

    public LogLine add(String key, long value) {
        return add(key, (Object) Long.toString(value));
    }

    /** Adds a duration in seconds with millisecond precision, from two {@link System#nanoTime()} values. */
    public LogLine seconds(String key, long startNanos, long endNanos) {
        return add(key, String.format(Locale.ROOT, "%.3f", Math.max(0, endNanos - startNanos) / 1e9));
    }

    /** Attaches a stack trace, printed after the line (for failures nobody expected). */
    public LogLine cause(Throwable throwable) {
        this.cause = throwable;
        return this;
    }

    /** Logs the line at INFO; JSON output carries the same pairs as structured fields. */
    public void info(Logger log) {
        log(log, Level.INFO);
    }

    public void warn(Logger log) {
        log(log, Level.WARN);
    }

    public void error(Logger log) {
        log(log, Level.ERROR);
    }

    public void debug(Logger log) {
        log(log, Level.DEBUG);
    }

    private void log(Logger log, Level level) {
        if (!log.isEnabledForLevel(level)) {
            return;
        }
        var builder = log.atLevel(level);
        for (String[] pair : pairs) {
            builder = builder.addKeyValue(pair[0], pair[1]);
        }
        if (cause != null) {
            builder = builder.setCause(cause);
        }
        builder.log(text.toString());
    }

    @Override
    public String toString() {
        return text.toString();
    }

    /**
     * A value as it appears in the line: bare when it is made only of printable ASCII other than
     * {@code " \\ =}, else in double quotes with {@code \" \\ \n \r \t} and {@code \\uXXXX}
     * escapes. Letters and digits of any script stay readable (SMTPUTF8 addresses); everything else
     * outside printable ASCII is escaped: C0 and C1 controls, U+2028/U+2029 (which some viewers and
     * JSON tools treat as line ends), bidirectional controls (U+200E/F, U+061C, U+202A-E,
     * U+2066-9), other format characters and lone surrogate halves. Reading back: inside quotes,
     * {@code \\X} stands for {@code X} except the five named escapes.
     */
    public static String quote(String value) {
        if (!value.isEmpty() && value.chars().allMatch(LogLine::bare)) {
            return value;
        }
        StringBuilder out = new StringBuilder(value.length() + 8).append('"');
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            switch (c) {
                case '"' -> out.append("\\\"");
                case '\\' -> out.append("\\\\");
                case '\n' -> out.append("\\n");
                case '\r' -> out.append("\\r");
                case '\t' -> out.append("\\t");
                default -> {
                    if ((c >= 0x20 && c < 0x7f) || (c > 0x7f && Character.isLetterOrDigit(c))) {
                        out.append(c);
                    } else {
                        out.append(String.format(Locale.ROOT, "\\u%04x", (int) c));
                    }
                }
            }
        }
        return out.append('"').toString();
    }

    private static boolean bare(int c) {
        return c > 0x20 && c < 0x7f && c != '"' && c != '\\' && c != '=';
    }
}
