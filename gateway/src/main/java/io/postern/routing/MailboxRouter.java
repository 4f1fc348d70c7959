package io.postern.routing;

import io.postern.config.NextHop;
import io.postern.config.RoutingConfig;
import io.postern.directory.Recipient;
import io.postern.mail.MailAddress;
import java.util.Optional;

/**
 * Decides where one mailbox's mail goes (docs/routing.md, "Where a mailbox lives"): the user's
 * home server when the directory names one other than this node (the more specific answer, as a
 * per-user transport beats a per-domain one in Postfix), else the relay domain's next hop when the
 * address that led to the mailbox, or the mailbox's own address, is in a relay domain, else here.
 * A home server that cannot be read is {@link Route.Invalid}: the mail waits rather than landing in
 * a spool its owner does not read. Immutable, thread-safe.
 */
public final class MailboxRouter {
    private final RoutingConfig config;
    private final String nodeHostname;

    public MailboxRouter(RoutingConfig config, String nodeHostname) {
        this.config = config;
        this.nodeHostname = nodeHostname;
    }

    /** No relay domains; home servers other than {@code localhost} are still next hops. */
    public static MailboxRouter noRelayDomains() {
        return new MailboxRouter(RoutingConfig.none(), "localhost");
    }

    public Route route(Recipient.Mailbox mailbox, MailAddress deliveredTo) {
        if (mailbox.homeServer().isPresent()) {
            String value = mailbox.homeServer().get();
            Optional<NextHop> hop = NextHop.parseHomeServer(value);
            if (hop.isEmpty()) {
                return new Route.Invalid(value, "home server '" + value + "' of " + mailbox.dn()
                        + " is not a host name or next hop");
            }
            if (config.isLocal(hop.get(), nodeHostname)) {
                return new Route.Local("home server " + value + " is this node");
            }
            return new Route.Relayed(hop.get(), Route.Why.HOME_SERVER, "home server " + value + " of " + mailbox.dn());
        }
        Optional<RoutingConfig.RelayDomain> relay = relayDomain(deliveredTo).or(() -> relayDomain(mailbox.address()));
        if (relay.isPresent()) {
            return relayed(relay.get());
        }
        return new Route.Local("mailbox in an accepted domain");
    }

    /** The relay domain of {@code address}, if it is in one. */
    public Optional<RoutingConfig.RelayDomain> relayDomain(MailAddress address) {
        return config.relayDomain(address.domain());
    }

    static Route.Relayed relayed(RoutingConfig.RelayDomain relay) {
        return new Route.Relayed(relay.nextHop(), Route.Why.RELAY_DOMAIN, "relay domain " + relay.domain()
                + (relay.verify() == RoutingConfig.Verify.NONE ? " (recipients not verified)" : ""));
    }
}
