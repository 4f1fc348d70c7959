package io.postern.cli;

import io.postern.config.PosternConfig;
import io.postern.config.Role;
import io.postern.config.RoutingConfig;
import io.postern.mail.MailAddress;
import io.postern.routing.Expansion;
import io.postern.routing.Route;
import java.io.PrintWriter;
import java.util.Optional;

/**
 * The {@code transport:} lines of {@code postern lookup}: for each target of an expansion, how
 * delivery carries it (local spool, LMTP worker, relay next hop, home server, remote MX) and why,
 * from the same configuration the node routes with. Immutable.
 */
final class TransportExplanation {
    private final PosternConfig config;

    TransportExplanation(PosternConfig config) {
        this.config = config;
    }

    /** "local" or "a relay domain (next hop ..., recipients checked in the directory)". */
    String domain(String domain) {
        Optional<RoutingConfig.RelayDomain> relay = config.routing().relayDomain(domain);
        if (relay.isEmpty()) {
            return "local";
        }
        return "a relay domain (next hop " + relay.get().nextHop() + ", recipients "
                + (relay.get().verify() == RoutingConfig.Verify.NONE ? "not verified: the next hop decides"
                : "checked in the directory") + ")";
    }

    void print(PrintWriter out, Expansion expansion) {
        for (Expansion.LocalTarget target : expansion.local()) {
            out.println("transport: " + target.mailbox().address() + " -> " + localTransport()
                    + target.mailbox().homeServer().map(h -> " (its home server " + h + " is this node)")
                    .orElse(" (mailbox in an accepted domain)"));
        }
        for (Expansion.RelayedTarget target : expansion.relayed()) {
            Route.Relayed route = target.route();
            String kind = route.why() == Route.Why.HOME_SERVER ? "home server" : "relay next hop";
            out.println("transport: " + target.address() + " -> " + kind + " " + route.hop() + " (" + route.reason()
                    + "; never stored here)");
        }
        for (MailAddress address : expansion.remote()) {
            out.println("transport: " + address + " -> remote MX of " + address.domain()
                    + config.outbound().relayHost().map(r -> " through relay host " + r.address()).orElse("")
                    + " (domain neither local nor a relay domain)");
        }
    }

    private String localTransport() {
        if (config.node().role() == Role.FRONT && !config.outbound().lmtpTargets().isEmpty()) {
            return "LMTP worker " + config.outbound().lmtpTargets() + " (role front, outbound.lmtpTargets)";
        }
        return "local spool under " + config.spool().root();
    }
}
