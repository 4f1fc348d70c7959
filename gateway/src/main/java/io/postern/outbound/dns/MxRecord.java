package io.postern.outbound.dns;

import java.util.Objects;

/** An MX record as published: a preference and an exchange host name (without the trailing dot). Immutable. */
public record MxRecord(int preference, String exchange) {
    public MxRecord {
        Objects.requireNonNull(exchange);
        if (preference < 0 || preference > 65535) {
            throw new IllegalArgumentException("MX preference out of range: " + preference);
        }
    }

    /** RFC 7505: preference 0 and the root as exchange means "this domain accepts no mail". */
    public boolean isNull() {
        return exchange.isEmpty() || exchange.equals(".");
    }
}
