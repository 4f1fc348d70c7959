package io.postern.server;

import io.postern.config.Cidr;
import io.postern.config.RelayConfig;
import io.postern.observability.LogLine;
import java.net.InterfaceAddress;
import java.net.NetworkInterface;
import java.net.SocketException;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Warns at start when {@code relay.trustedNetworks} overlaps the network the node runs in: the
 * configured {@code relay.clusterNetworks} (pod and node networks; the chart sets them) and the
 * networks of the node's own interfaces (in a pod: the pod network slice of this node). Behind a
 * balancer that replaces client addresses by its own (SNAT, {@code externalTrafficPolicy:
 * Cluster} without the PROXY protocol), every client then "comes from" a trusted network and may
 * relay: an open relay. A warning, not a refusal: a trusted in-cluster sender is legitimate.
 * Stateless.
 */
final class ClusterNetworkCheck {
    private static final Logger LOG = LoggerFactory.getLogger(ClusterNetworkCheck.class);

    /** One overlap: the trusted network, the cluster network it touches, and where that came from. */
    record Overlap(Cidr trusted, Cidr cluster, String source) {
    }

    private ClusterNetworkCheck() {
    }

    static List<Overlap> overlaps(RelayConfig relay, List<Cidr> interfaceNetworks) {
        List<Overlap> found = new ArrayList<>();
        for (Cidr trusted : relay.trustedNetworks()) {
            relay.clusterNetworks().stream().filter(trusted::overlaps)
                    .forEach(c -> found.add(new Overlap(trusted, c, "relay.clusterNetworks")));
            interfaceNetworks.stream().filter(trusted::overlaps)
                    .forEach(c -> found.add(new Overlap(trusted, c, "interface")));
        }
        return found;
    }

    /** Logs one {@code event=relay-trusts-cluster-network} warning per overlap; returns them. */
    static List<Overlap> warn(RelayConfig relay) {
        List<Overlap> found = overlaps(relay, interfaceNetworks());
        for (Overlap o : found) {
            LogLine.event("relay-trusts-cluster-network").add("trusted", o.trusted().toString())
                    .add("cluster", o.cluster().toString()).add("source", o.source())
                    .add("hint", "behind a balancer that hides client addresses this is an open relay;"
                            + " keep client addresses (externalTrafficPolicy: Local or the PROXY protocol)")
                    .warn(LOG);
        }
        return found;
    }

    /** The networks of this host's up, non-loopback interfaces (a pod's: its slice of the pod network). */
    static List<Cidr> interfaceNetworks() {
        List<Cidr> out = new ArrayList<>();
        try {
            for (NetworkInterface nic : NetworkInterface.networkInterfaces().toList()) {
                if (!nic.isUp() || nic.isLoopback()) {
                    continue;
                }
                for (InterfaceAddress a : nic.getInterfaceAddresses()) {
                    if (!a.getAddress().isLinkLocalAddress()) {
                        out.add(new Cidr(a.getAddress().getAddress(), a.getNetworkPrefixLength()));
                    }
                }
            }
        } catch (SocketException e) {
            LogLine.event("interfaces-unreadable").add("error", e.toString()).debug(LOG);
        }
        return out;
    }
}
