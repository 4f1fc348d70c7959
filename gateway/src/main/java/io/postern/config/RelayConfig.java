package io.postern.config;

import java.util.List;

/** Who may send mail to non-local domains without AUTH: nobody, by default. */
public record RelayConfig(List<Cidr> trustedNetworks) {
    public RelayConfig {
        trustedNetworks = List.copyOf(trustedNetworks);
    }

    static RelayConfig from(ConfigNode node) {
        return new RelayConfig(node.parsedStrings("trustedNetworks", List.of(), Cidr::parse));
    }
}
