package io.postern.config;

import java.net.InetAddress;
import java.util.List;

/** Who may send mail to non-local domains without AUTH: nobody, by default. */
public record RelayConfig(List<Cidr> trustedNetworks) {
    public RelayConfig {
        trustedNetworks = List.copyOf(trustedNetworks);
    }

    /** Is {@code client} in one of the trusted networks? */
    public boolean trusts(InetAddress client) {
        return trustedNetworks.stream().anyMatch(n -> n.contains(client));
    }

    static RelayConfig from(ConfigNode node) {
        return new RelayConfig(node.parsedStrings("trustedNetworks", List.of(), Cidr::parse));
    }
}
