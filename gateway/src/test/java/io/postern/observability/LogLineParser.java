package io.postern.observability;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads a {@link LogLine} back the way a log shipper would, and strictly: pairs separated by one
 * space, keys of {@code [a-z0-9_]}, values bare ({@code !}..{@code ~} without {@code " \ =}) or
 * quoted with the escapes {@code \" \\ \n \r \t \\uXXXX}. Anything else is a forged or broken
 * line and throws, and so does a raw character a terminal or viewer could take for a line end or
 * use to reorder text (controls, line separators, bidi and other format characters): those must
 * reach the log escaped. Written for the tests, independently of {@link LogLine#quote}.
 */
public final class LogLineParser {
    private LogLineParser() {
    }

    /** The pairs of {@code line} in order; throws {@link IllegalArgumentException} when it is not one LogLine. */
    public static Map<String, String> parse(String line) {
        Map<String, String> pairs = new LinkedHashMap<>();
        int i = 0;
        while (true) {
            int eq = line.indexOf('=', i);
            if (eq <= i) {
                throw new IllegalArgumentException("no key at " + i + ": " + line);
            }
            String key = line.substring(i, eq);
            if (!key.matches("[a-z0-9_]+")) {
                throw new IllegalArgumentException("bad key '" + key + "': " + line);
            }
            StringBuilder value = new StringBuilder();
            i = eq + 1;
            if (i < line.length() && line.charAt(i) == '"') {
                i++;
                while (true) {
                    if (i >= line.length()) {
                        throw new IllegalArgumentException("unterminated quote: " + line);
                    }
                    char c = line.charAt(i++);
                    if (c == '"') {
                        break;
                    }
                    if (c != '\\') {
                        value.append(raw(c, line));
                        continue;
                    }
                    char e = line.charAt(i++);
                    switch (e) {
                        case '"', '\\' -> value.append(e);
                        case 'n' -> value.append('\n');
                        case 'r' -> value.append('\r');
                        case 't' -> value.append('\t');
                        case 'u' -> {
                            value.append((char) Integer.parseInt(line.substring(i, i + 4), 16));
                            i += 4;
                        }
                        default -> throw new IllegalArgumentException("bad escape \\" + e + ": " + line);
                    }
                }
            } else {
                while (i < line.length() && line.charAt(i) != ' ') {
                    char c = line.charAt(i++);
                    if (c <= 0x20 || c >= 0x7f || c == '"' || c == '\\' || c == '=') {
                        throw new IllegalArgumentException("bad character U+" + Integer.toHexString(c)
                                + " in a bare value: " + line);
                    }
                    value.append(c);
                }
                if (value.isEmpty()) {
                    throw new IllegalArgumentException("empty bare value: " + line);
                }
            }
            if (pairs.put(key, value.toString()) != null) {
                throw new IllegalArgumentException("key '" + key + "' twice: " + line);
            }
            if (i == line.length()) {
                return pairs;
            }
            if (line.charAt(i) != ' ') {
                throw new IllegalArgumentException("no space after the value of " + key + ": " + line);
            }
            i++;
        }
    }

    /** The keys of {@code line}, in order. */
    public static List<String> keys(String line) {
        return List.copyOf(parse(line).keySet());
    }

    private static char raw(char c, String line) {
        boolean visible = c >= 0x20 && c < 0x7f || c > 0x9f && Character.isLetterOrDigit(c)
                && Character.getType(c) != Character.FORMAT;
        if (!visible) {
            throw new IllegalArgumentException("raw U+" + Integer.toHexString(c) + " in a quoted value: " + line);
        }
        return c;
    }
}
