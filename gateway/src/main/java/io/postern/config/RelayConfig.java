package io.postern.config;

import java.net.InetAddress;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * Who may send mail to non-local domains: nobody without AUTH, by default, except clients in
 * {@code trustedNetworks} (from the file) or in the networks listed on a directory entry
 * ({@code trustedNetworksFrom}); after AUTH everyone, unless {@code permission} makes it a
 * directory permission. {@code limits} caps what one authenticated sender may send. Immutable.
 */
public record RelayConfig(List<Cidr> trustedNetworks, Optional<NetworksFrom> trustedNetworksFrom,
                          RelayPermissionConfig permission, SenderLimitsConfig limits) {

    /** A multi-valued attribute of CIDR ranges on one directory entry. */
    public record NetworksFrom(String dn, String attribute) {
        public NetworksFrom {
            Objects.requireNonNull(dn);
            Objects.requireNonNull(attribute);
        }
    }

    public RelayConfig {
        trustedNetworks = List.copyOf(trustedNetworks);
        Objects.requireNonNull(trustedNetworksFrom);
        Objects.requireNonNull(permission);
        Objects.requireNonNull(limits);
    }

    /** Trusted networks from the file only; no permission, no limits. */
    public RelayConfig(List<Cidr> trustedNetworks) {
        this(trustedNetworks, Optional.empty(), RelayPermissionConfig.OFF, SenderLimitsConfig.NONE);
    }

    /** Is {@code client} in one of the trusted networks of the file? (The directory's are asked by the SMTP policy.) */
    public boolean trusts(InetAddress client) {
        return trustedNetworks.stream().anyMatch(n -> n.contains(client));
    }

    static RelayConfig from(ConfigNode node) {
        List<Cidr> networks = node.parsedStrings("trustedNetworks", List.of(), Cidr::parse);
        Optional<NetworksFrom> from = Optional.empty();
        if (node.has("trustedNetworksFrom")) {
            ConfigNode f = node.section("trustedNetworksFrom");
            String dn = f.required("dn").trim();
            if (!dn.isEmpty()) {
                RelayPermissionConfig.validDn(f, "dn", dn);
            }
            Optional<String> attribute = RelayPermissionConfig.attributeName(f, "attribute");
            if (attribute.isEmpty() && !f.has("attribute")) {
                f.error("attribute", "is required");
            }
            if (!dn.isEmpty() && attribute.isPresent()) {
                from = Optional.of(new NetworksFrom(dn, attribute.get()));
            }
        }
        return new RelayConfig(networks, from, RelayPermissionConfig.from(node.section("permission")),
                SenderLimitsConfig.from(node.section("limits")));
    }
}
