package io.postern.config;

import java.net.InetAddress;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * Who may send mail to non-local domains: nobody without AUTH, by default, except clients in
 * {@code trustedNetworks} (from the file) or in the networks listed on a directory entry
 * ({@code trustedNetworksFrom}); after AUTH everyone, unless {@code permission} makes it a
 * directory permission. {@code limits} caps what one authenticated sender may send.
 * {@code clusterNetworks} are the pod and node networks the node runs in (the Helm chart fills
 * them in): a trusted network that overlaps them gets a warning at start, because behind a
 * balancer that hides client addresses every client comes from there, and the node is an open
 * relay. Immutable.
 */
public record RelayConfig(List<Cidr> trustedNetworks, List<Cidr> clusterNetworks,
                          Optional<NetworksFrom> trustedNetworksFrom, RelayPermissionConfig permission,
                          SenderLimitsConfig limits) {

    /** A multi-valued attribute of CIDR ranges on one directory entry. */
    public record NetworksFrom(String dn, String attribute) {
        public NetworksFrom {
            Objects.requireNonNull(dn);
            Objects.requireNonNull(attribute);
        }
    }

    public RelayConfig {
        trustedNetworks = List.copyOf(trustedNetworks);
        clusterNetworks = List.copyOf(clusterNetworks);
        Objects.requireNonNull(trustedNetworksFrom);
        Objects.requireNonNull(permission);
        Objects.requireNonNull(limits);
    }

    /** Trusted networks and cluster networks from the file only; no permission, no limits. */
    public RelayConfig(List<Cidr> trustedNetworks, List<Cidr> clusterNetworks) {
        this(trustedNetworks, clusterNetworks, Optional.empty(), RelayPermissionConfig.OFF, SenderLimitsConfig.NONE);
    }

    /** Trusted networks from the file only; no permission, no limits. */
    public RelayConfig(List<Cidr> trustedNetworks) {
        this(trustedNetworks, List.of(), Optional.empty(), RelayPermissionConfig.OFF, SenderLimitsConfig.NONE);
    }

    /** Is {@code client} in one of the trusted networks of the file? (The directory's are asked by the SMTP policy.) */
    public boolean trusts(InetAddress client) {
        return trustedNetworks.stream().anyMatch(n -> n.contains(client));
    }

    /** One line for {@code postern check-config}: who may relay, and the per-sender limits. */
    public String summary() {
        StringBuilder out = new StringBuilder("relay: ").append(trustedNetworks.size()).append(" trusted network(s)");
        trustedNetworksFrom.ifPresent(f -> out.append(" + those in ").append(f.attribute()).append(" of ").append(f.dn()));
        if (!permission.enabled()) {
            out.append("; every authenticated user may relay");
        } else {
            out.append("; authenticated users may relay if");
            permission.group().ifPresent(g -> out.append(" member of ").append(g).append(" (membership ")
                    .append(ConfigNode.wireName(permission.membership())).append(')'));
            if (permission.group().isPresent() && permission.attribute().isPresent()) {
                out.append(" or");
            }
            permission.attribute().ifPresent(a -> out.append(" holding ").append(a)
                    .append(permission.value().map(v -> "=" + v).orElse("")));
        }
        out.append("; per sender: ").append(limit(limits.recipientsPerMessage(), limits.recipientsPerMessageAttribute()))
                .append(" recipients/message, ").append(limit(limits.messagesPerHour(), limits.messagesPerHourAttribute()))
                .append(" messages/hour");
        if (limits.frontNodes() > 1) {
            out.append(" (shared by ").append(limits.frontNodes()).append(" front nodes)");
        }
        return out.toString();
    }

    private static String limit(int value, Optional<String> attribute) {
        return (value == 0 ? "no limit" : String.valueOf(value)) + attribute.map(a -> " (or the user's " + a + ")").orElse("");
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
        return new RelayConfig(networks, node.parsedStrings("clusterNetworks", List.of(), Cidr::parse), from, RelayPermissionConfig.from(node.section("permission")),
                SenderLimitsConfig.from(node.section("limits")));
    }
}
