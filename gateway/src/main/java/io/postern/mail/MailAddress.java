package io.postern.mail;

import java.util.Locale;
import java.util.Objects;
import java.util.Optional;

/**
 * A mailbox address {@code local-part@domain} as it appears in an SMTP path, after the path's
 * angle brackets are removed. Immutable. The domain is kept lower-case; the local part keeps its
 * case (RFC 5321 2.4) but {@link #key()} folds it for directory look-ups.
 *
 * <p>Only the forms a gateway must accept are parsed: dot-atoms and quoted strings in the local
 * part, a host name as domain. Source routes, IP literals, bang paths and percent hacks are not
 * addresses here: they are the classic relay tricks (see {@link #parse}).
 */
public record MailAddress(String localPart, String domain) {
    public static final int MAX_LOCAL_PART = 64;
    public static final int MAX_DOMAIN = 255;

    public MailAddress {
        Objects.requireNonNull(localPart);
        Objects.requireNonNull(domain);
        domain = domain.toLowerCase(Locale.ROOT);
    }

    /** Parses {@code user@example.com}; empty when the text is not an address we accept. */
    public static Optional<MailAddress> parse(String text) {
        return Optional.ofNullable(AddressParser.parse(text));
    }

    /** The form used as a cache and directory key: lower-case as a whole. */
    public String key() {
        return localPart.toLowerCase(Locale.ROOT) + "@" + domain;
    }

    @Override
    public String toString() {
        return localPart + "@" + domain;
    }
}
