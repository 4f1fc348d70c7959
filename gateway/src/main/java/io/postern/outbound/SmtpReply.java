package io.postern.outbound;

import io.postern.mail.EnhancedStatus;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** One (possibly multi-line) reply of a remote SMTP or LMTP server. Immutable. */
public record SmtpReply(int code, List<String> lines) {
    private static final Pattern ENHANCED = Pattern.compile("^([245])\\.(\\d{1,3})\\.(\\d{1,3})(?:\\s|$)");

    public SmtpReply {
        lines = List.copyOf(lines);
        if (code < 200 || code > 599) {
            throw new IllegalArgumentException("not a reply code: " + code);
        }
        Objects.requireNonNull(lines);
    }

    public boolean positive() {
        return code < 400;
    }

    public boolean transientFailure() {
        return code >= 400 && code < 500;
    }

    public boolean permanentFailure() {
        return code >= 500;
    }

    /** The RFC 2034 enhanced status code of the first line, when the server sent one that agrees with the class. */
    public Optional<EnhancedStatus> enhancedCode() {
        if (lines.isEmpty()) {
            return Optional.empty();
        }
        Matcher m = ENHANCED.matcher(lines.getFirst());
        if (!m.find() || m.group(1).charAt(0) != (char) ('0' + code / 100)) {
            return Optional.empty();
        }
        return EnhancedStatus.parse(m.group(1) + "." + m.group(2) + "." + m.group(3));
    }

    /** The reply as one line, as it goes into a bounce's Diagnostic-Code: {@code 550 5.1.1 text text}. */
    public String oneLine() {
        StringBuilder out = new StringBuilder().append(code);
        for (String line : lines) {
            if (!line.isEmpty()) {
                out.append(' ').append(line);
            }
        }
        return out.toString();
    }

    @Override
    public String toString() {
        return oneLine();
    }
}
