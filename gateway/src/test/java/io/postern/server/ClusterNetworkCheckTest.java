package io.postern.server;

import static org.assertj.core.api.Assertions.assertThat;

import io.postern.config.Cidr;
import io.postern.config.RelayConfig;
import java.util.List;
import org.junit.jupiter.api.Test;

/** A trusted relay network that overlaps the cluster's networks is found; one beside them is not. */
class ClusterNetworkCheckTest {
    private static Cidr cidr(String text) {
        return Cidr.parse(text).value();
    }

    @Test
    void aTrustedNetworkHoldingThePodNetworkIsFound() {
        RelayConfig relay = new RelayConfig(List.of(cidr("10.0.0.0/8"), cidr("192.0.2.0/24")),
                List.of(cidr("10.244.0.0/16")));
        var found = ClusterNetworkCheck.overlaps(relay, List.of(cidr("10.244.1.17/24"), cidr("fd00::5/64")));
        assertThat(found).extracting(o -> o.trusted() + " " + o.cluster() + " " + o.source()).containsExactly(
                "10.0.0.0/8 10.244.0.0/16 relay.clusterNetworks", "10.0.0.0/8 10.244.1.17/24 interface");
    }

    @Test
    void aTrustedHostInsideTheNodeNetworkIsFoundAndOneOutsideIsNot() {
        RelayConfig relay = new RelayConfig(List.of(cidr("172.16.5.9"), cidr("172.17.0.0/16")),
                List.of(cidr("172.16.0.0/20")));
        assertThat(ClusterNetworkCheck.overlaps(relay, List.of())).extracting(o -> o.trusted().toString())
                .containsExactly("172.16.5.9/32");
    }
}
