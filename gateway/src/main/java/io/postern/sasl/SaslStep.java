package io.postern.sasl;

/** What a SASL exchange needs next. A closed set. */
public sealed interface SaslStep {
    /** Send this base64 challenge ({@code 334 ...} in SMTP, {@code + ...} in POP3) and wait for a line. */
    record Challenge(String base64) implements SaslStep {
    }

    /** The client gave credentials; check them against the directory. Not logged: holds a password. */
    record Credentials(String authorizationId, String login, String password) implements SaslStep {
        @Override
        public String toString() {
            return "Credentials[login=" + login + "]";
        }
    }

    /** The client cancelled with {@code *} (501 / -ERR). */
    record Cancelled() implements SaslStep {
    }

    /** The client sent something that is not valid for the mechanism (501 5.5.2 / -ERR). */
    record Malformed(String why) implements SaslStep {
    }
}
