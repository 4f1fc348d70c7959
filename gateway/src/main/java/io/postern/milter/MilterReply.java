package io.postern.milter;

import io.postern.mail.EnhancedStatus;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The SMTP reply a milter decision turns into: a 4xx or 5xx code, an enhanced status of the same
 * class and one or more text lines of printable ASCII. Immutable. Built from a milter's own
 * {@code SMFIR_REPLYCODE} text by {@link #parse}, which refuses anything a client should not see.
 */
public record MilterReply(int code, EnhancedStatus status, List<String> lines) {
    private static final Pattern LINE = Pattern.compile("([45][0-9][0-9])([ -])(?:([45]\\.\\d{1,3}\\.\\d{1,3}) )?(.*)");
    private static final int MAX_LINES = 10;
    private static final int MAX_LINE = 500;

    public MilterReply {
        Objects.requireNonNull(status);
        lines = List.copyOf(lines);
        if (code < 400 || code > 599 || status.statusClass() != code / 100) {
            throw new IllegalArgumentException("reply " + code + " " + status + " mixes classes or is not 4xx/5xx");
        }
        if (lines.isEmpty() || lines.size() > MAX_LINES) {
            throw new IllegalArgumentException("a reply has 1 to " + MAX_LINES + " lines");
        }
        for (String line : lines) {
            if (line.length() > MAX_LINE || !line.chars().allMatch(c -> c >= 0x20 && c < 0x7f)) {
                throw new IllegalArgumentException("reply text must be printable ASCII, at most " + MAX_LINE + " characters a line");
            }
        }
    }

    public MilterReply(int code, EnhancedStatus status, String text) {
        this(code, status, List.of(text));
    }

    public boolean isPermanent() {
        return code >= 500;
    }

    /** The text lines joined by a space: for logs. */
    public String text() {
        return String.join(" ", lines);
    }

    /**
     * Reads the text of a replycode reply: {@code 550 5.7.1 text}, or several CRLF-separated
     * lines of the same code ({@code 550-...} before the last). Without an enhanced status the
     * fallback's subject and detail are used with the code's class. Empty when the text breaks
     * any rule (the caller then treats the milter as failed).
     */
    public static Optional<MilterReply> parse(String text, EnhancedStatus fallback) {
        String[] raw = text.split("\r\n", -1);
        List<String> lines = new ArrayList<>();
        int code = -1;
        EnhancedStatus status = null;
        for (int i = 0; i < raw.length; i++) {
            Matcher m = LINE.matcher(raw[i]);
            if (!m.matches()) {
                return Optional.empty();
            }
            int lineCode = Integer.parseInt(m.group(1));
            boolean last = i == raw.length - 1;
            if ((code != -1 && lineCode != code) || m.group(2).equals(last ? "-" : " ")) {
                return Optional.empty();
            }
            code = lineCode;
            if (m.group(3) != null) {
                EnhancedStatus lineStatus = EnhancedStatus.of(m.group(3));
                if (status != null && !status.equals(lineStatus)) {
                    return Optional.empty();
                }
                status = lineStatus;
            }
            lines.add(m.group(4));
        }
        if (status == null) {
            status = fallback.withClass(code / 100);
        }
        try {
            return Optional.of(new MilterReply(code, status, lines));
        } catch (IllegalArgumentException e) {
            return Optional.empty();
        }
    }

    @Override
    public String toString() {
        return code + " " + status + " " + text();
    }
}
