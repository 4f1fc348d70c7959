package io.postern.outbound.dns;

import java.net.InetAddress;
import java.util.List;
import java.util.Objects;

/**
 * One host to try for a domain, with its addresses in the order to try them. {@code implicit}
 * when the domain had no MX and its own address records are used (RFC 5321 5.1). Immutable.
 */
public record MxHost(String name, int preference, List<InetAddress> addresses, boolean implicit) {
    public MxHost {
        Objects.requireNonNull(name);
        addresses = List.copyOf(addresses);
    }
}
