package io.postern.pop3;

/** What the line decoder hands the session. A closed set. */
sealed interface Pop3Input {
    /** One line without its CRLF, decoded as UTF-8. */
    record Line(String text) implements Pop3Input {
    }

    /** A line longer than {@code pop3.maxLineLength}; its octets were discarded. */
    record TooLong() implements Pop3Input {
    }
}
