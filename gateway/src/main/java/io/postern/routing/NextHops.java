package io.postern.routing;

import io.postern.config.NextHop;
import io.postern.mail.DeliveryAgent;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Function;

/**
 * How routing reaches next hops: the {@link MailboxRouter} that decides which mailboxes go on,
 * and the agent that carries mail to one next hop (the outbound SMTP or LMTP client). Without an
 * agent, mail for a next hop is deferred (4.4.0), never stored here. Immutable.
 */
public record NextHops(MailboxRouter router, Optional<Function<NextHop, DeliveryAgent>> agents) {
    public NextHops {
        Objects.requireNonNull(router);
        Objects.requireNonNull(agents);
    }

    /** No relay domains and no transport to a next hop (tests and tools that deliver locally only). */
    public static NextHops none() {
        return new NextHops(MailboxRouter.noRelayDomains(), Optional.empty());
    }
}
