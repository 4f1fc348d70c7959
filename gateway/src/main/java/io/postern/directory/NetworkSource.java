package io.postern.directory;

import java.util.Objects;

/**
 * Where trusted relay networks are kept in the directory ({@code relay.trustedNetworksFrom}):
 * a multi-valued attribute of CIDR ranges on one configuration entry. Immutable.
 */
public record NetworkSource(String dn, String attribute) {
    public NetworkSource {
        Objects.requireNonNull(dn);
        Objects.requireNonNull(attribute);
    }
}
