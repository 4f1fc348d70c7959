package io.postern.pop3;

/** What the line decoder hands the session. A closed set. */
sealed interface Pop3Input {
    /** One line without its CRLF, decoded as UTF-8; {@code octets} counts it on the wire, line ending included. */
    record Line(String text, int octets) implements Pop3Input {
        /** A line as a client would send it, ending in CRLF. */
        Line(String text) {
            this(text, text.getBytes(java.nio.charset.StandardCharsets.UTF_8).length + 2);
        }
    }

    /** A line longer than {@code pop3.maxLineLength}; its octets were discarded. */
    record TooLong() implements Pop3Input {
    }
}
