package io.postern.mail;

import java.util.Objects;
import java.util.Optional;

/**
 * The RFC 3461 envelope identifier (MAIL FROM ... ENVID=), kept decoded. RFC 3461 4.4: 1 to 100
 * printable US-ASCII characters (space included) before encoding; the constructor enforces it, so
 * a value can never carry a line break to another hop. Written to a hop only through
 * {@link #xtext()}. Immutable.
 */
public record EnvelopeId(String value) {
    public static final int MAX_LENGTH = 100;

    public EnvelopeId {
        Objects.requireNonNull(value);
        if (!valid(value)) {
            throw new IllegalArgumentException("not an RFC 3461 envelope id");
        }
    }

    /** Decodes the xtext of an ENVID parameter as a client sent it. */
    public static Decoded<EnvelopeId> fromXtext(String xtext) {
        Optional<String> decoded = Xtext.decode(xtext);
        if (decoded.isEmpty()) {
            return new Decoded.Malformed<>();
        }
        if (Xtext.hasControl(decoded.get())) {
            return new Decoded.HoldsControl<>();
        }
        return valid(decoded.get()) ? new Decoded.Valid<>(new EnvelopeId(decoded.get())) : new Decoded.Malformed<>();
    }

    /** A decoded value from storage; empty when it is not (or no longer) acceptable. */
    public static Optional<EnvelopeId> of(String value) {
        return valid(value) ? Optional.of(new EnvelopeId(value)) : Optional.empty();
    }

    /** The value as an ENVID parameter: RFC 3461 xtext. */
    public String xtext() {
        return Xtext.encode(value);
    }

    @Override
    public String toString() {
        return value;
    }

    private static boolean valid(String value) {
        return !value.isEmpty() && value.length() <= MAX_LENGTH && value.chars().allMatch(c -> c >= ' ' && c <= '~');
    }
}
