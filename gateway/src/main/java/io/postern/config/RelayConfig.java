package io.postern.config;

import java.net.InetAddress;
import java.util.List;

/**
 * Who may send mail to non-local domains without AUTH: nobody, by default. {@code clusterNetworks}
 * are the pod and node networks the node runs in (the Helm chart fills them in): a trusted network
 * that overlaps them gets a warning at start, because behind a balancer that hides client
 * addresses every client comes from there, and the node is an open relay.
 */
public record RelayConfig(List<Cidr> trustedNetworks, List<Cidr> clusterNetworks) {
    public RelayConfig {
        trustedNetworks = List.copyOf(trustedNetworks);
        clusterNetworks = List.copyOf(clusterNetworks);
    }

    public RelayConfig(List<Cidr> trustedNetworks) {
        this(trustedNetworks, List.of());
    }

    /** Is {@code client} in one of the trusted networks? */
    public boolean trusts(InetAddress client) {
        return trustedNetworks.stream().anyMatch(n -> n.contains(client));
    }

    static RelayConfig from(ConfigNode node) {
        return new RelayConfig(node.parsedStrings("trustedNetworks", List.of(), Cidr::parse),
                node.parsedStrings("clusterNetworks", List.of(), Cidr::parse));
    }
}
