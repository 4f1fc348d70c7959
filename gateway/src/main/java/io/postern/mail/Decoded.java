package io.postern.mail;

import java.util.Objects;

/**
 * The outcome of decoding one encoded envelope parameter value (RFC 3461 xtext, RFC 6533
 * utf-8-addr): the typed value, a value whose encoding is broken, or one that decodes to control
 * characters. The SMTP session turns the last two into {@code 501 5.5.4} replies. Immutable.
 */
public sealed interface Decoded<T> {
    record Valid<T>(T value) implements Decoded<T> {
        public Valid {
            Objects.requireNonNull(value);
        }
    }

    /** Not well-formed, too long, or outside the character set the parameter allows. */
    record Malformed<T>() implements Decoded<T> {
    }

    /** Decodes to CR, LF, NUL or another control character: what a command-injection attempt looks like. */
    record HoldsControl<T>() implements Decoded<T> {
    }
}
