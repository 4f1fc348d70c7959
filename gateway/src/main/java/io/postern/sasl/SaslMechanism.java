package io.postern.sasl;

import java.util.Locale;
import java.util.Optional;

/** The SASL mechanisms Postern offers: both carry the password, so both need TLS (or an explicit opt-in). */
public enum SaslMechanism {
    /** RFC 4616. */
    PLAIN,
    /** The de-facto LOGIN mechanism (draft-murchison-sasl-login). */
    LOGIN;

    public static Optional<SaslMechanism> named(String name) {
        try {
            return Optional.of(valueOf(name.toUpperCase(Locale.ROOT)));
        } catch (IllegalArgumentException e) {
            return Optional.empty();
        }
    }
}
