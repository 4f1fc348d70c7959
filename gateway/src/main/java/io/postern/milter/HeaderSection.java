package io.postern.milter;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads the header section of a stored message (CRLF line ends) from a stream, leaving the
 * stream at the first body byte. Mutable while reading; the result is an immutable list. A line
 * that is neither a header nor a continuation ends the headers and starts the body, as in Postfix.
 */
final class HeaderSection {
    /** One header as stored: name, and the raw text after the colon (folding kept, CRLF inside). */
    record Header(String name, String rawValue) {
        /** The value as milters see it: one leading space dropped, line ends as LF (as Postfix and Sendmail send). */
        String milterValue() {
            String value = rawValue.startsWith(" ") ? rawValue.substring(1) : rawValue;
            return value.replace("\r\n", "\n");
        }
    }

    record Parsed(List<Header> headers, byte[] bodyStart) {
    }

    /** The longest header line kept: longer lines end the header section, as malformed input. */
    private static final int MAX_LINE = 1 << 16;

    private HeaderSection() {
    }

    static Parsed read(InputStream in) throws IOException {
        List<Header> headers = new ArrayList<>();
        String name = null;
        StringBuilder value = new StringBuilder();
        while (true) {
            byte[] line = readLine(in);
            if (line.length == 0) {
                break;
            }
            String text = new String(line, StandardCharsets.UTF_8);
            boolean blank = text.equals("\r\n") || text.equals("\n");
            if (blank) {
                break;
            }
            if ((text.charAt(0) == ' ' || text.charAt(0) == '\t') && name != null) {
                value.append("\r\n").append(stripEnd(text));
                continue;
            }
            int colon = text.indexOf(':');
            String candidate = colon > 0 ? text.substring(0, colon) : "";
            if (candidate.isEmpty() || !candidate.chars().allMatch(c -> c > 0x20 && c < 0x7f) || line.length > MAX_LINE) {
                if (name != null) {
                    headers.add(new Header(name, value.toString()));
                }
                return new Parsed(List.copyOf(headers), line);
            }
            if (name != null) {
                headers.add(new Header(name, value.toString()));
            }
            name = candidate;
            value.setLength(0);
            value.append(stripEnd(text.substring(colon + 1)));
        }
        if (name != null) {
            headers.add(new Header(name, value.toString()));
        }
        return new Parsed(List.copyOf(headers), new byte[0]);
    }

    private static String stripEnd(String text) {
        if (text.endsWith("\r\n")) {
            return text.substring(0, text.length() - 2);
        }
        return text.endsWith("\n") ? text.substring(0, text.length() - 1) : text;
    }

    /** One line including its LF, or an empty array at the end of the stream. */
    private static byte[] readLine(InputStream in) throws IOException {
        ByteArrayOutputStream line = new ByteArrayOutputStream(128);
        int b;
        while ((b = in.read()) != -1) {
            line.write(b);
            if (b == '\n' || line.size() > MAX_LINE) {
                break;
            }
        }
        return line.toByteArray();
    }
}
