package io.postern.smtp.reply;

import io.postern.mail.EnhancedStatus;
import io.postern.mail.RecipientOutcome;
import java.util.Arrays;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;

/**
 * One SMTP/LMTP reply as it goes on the wire: reply code, enhanced status code (absent for 220,
 * 334, 354 and the EHLO lines) and text, the text already one line whatever a client-supplied
 * part held. Built from the {@link SmtpReply} catalogue or, for an LMTP recipient after DATA,
 * from that recipient's {@link RecipientOutcome}. Immutable.
 */
public record Reply(int code, Optional<EnhancedStatus> status, String text) {
    public Reply {
        Objects.requireNonNull(status);
        Objects.requireNonNull(text);
        if (code < 200 || code > 599) {
            throw new IllegalArgumentException("reply code " + code);
        }
    }

    /** The reply for one recipient's outcome: its code and status, the text after the recipient's address. */
    public static Reply of(RecipientOutcome outcome, String recipient) {
        return new Reply(outcome.replyCode(), Optional.of(outcome.status()),
                oneLine("<" + recipient + "> " + outcome.text()));
    }

    static Reply of(int code, Optional<EnhancedStatus> status, String template, Object... args) {
        // A variable part can come from the client (a login, a HELO name): it must never end the
        // reply line early or start another one.
        Object[] safe = Arrays.stream(args).map(Reply::oneLineValue).toArray();
        return new Reply(code, status, safe.length == 0 ? template : String.format(Locale.ROOT, template, safe));
    }

    /** True for 4xx and 5xx: counted against the session's error limit. */
    public boolean isError() {
        return code >= 400;
    }

    /** The reply line with CRLF: {@code 250 2.0.0 Ok}. */
    public String line() {
        return render(' ');
    }

    /** A continuation line of a multi-line reply: {@code 250-...}. */
    public String continuation() {
        return render('-');
    }

    private String render(char separator) {
        return code + String.valueOf(separator) + status.map(s -> s + " ").orElse("") + text + "\r\n";
    }

    /** Text with every C0 and C1 control character (CR, LF, NUL among them) made a space; numbers as they are. */
    private static Object oneLineValue(Object value) {
        return value instanceof Number ? value : oneLine(String.valueOf(value));
    }

    private static String oneLine(String value) {
        return value.replaceAll("[\\x00-\\x1f\\x7f-\\x9f\\u2028\\u2029]", " ");
    }
}
