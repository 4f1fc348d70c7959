package io.postern.smtp.inbound.session;

/**
 * The code and enhanced status code at the start of a reply line that the session is about to
 * send ({@code 550 5.1.1 ...}); for metrics and logs. Immutable.
 */
record ReplyLine(int code, String enhanced) {

    /** Reads the first line of {@code text}; code 0 when it does not start with three digits. */
    static ReplyLine of(String text) {
        if (text.length() < 3 || !Character.isDigit(text.charAt(0)) || !Character.isDigit(text.charAt(1))
                || !Character.isDigit(text.charAt(2))) {
            return new ReplyLine(0, "");
        }
        int code = Integer.parseInt(text.substring(0, 3));
        int start = 4;
        int end = start;
        while (end < text.length() && (Character.isDigit(text.charAt(end)) || text.charAt(end) == '.')) {
            end++;
        }
        String enhanced = end > start && end < text.length() && text.charAt(end) == ' '
                && text.charAt(start) == text.charAt(0) ? text.substring(start, end) : "";
        return new ReplyLine(code, enhanced);
    }

    /** The tag of {@code postern.smtp.replies}: the 3-digit code, or {@code other}. */
    String tag() {
        return code >= 200 && code < 600 ? Integer.toString(code) : "other";
    }
}
