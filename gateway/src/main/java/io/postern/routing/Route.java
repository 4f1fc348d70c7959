package io.postern.routing;

import io.postern.config.NextHop;
import java.util.Objects;

/**
 * Where one mailbox's mail goes, as {@link MailboxRouter} decided: here, or on to a next hop, with
 * the reason (shown by {@code postern lookup} and logged). A closed set. Immutable.
 */
public sealed interface Route {

    /** A text for people: why this route. */
    String reason();

    /** Written into this node's spools (or handed to its LMTP delivery workers). */
    record Local(String reason) implements Route {
        public Local {
            Objects.requireNonNull(reason);
        }
    }

    /** Sent on to {@code hop}; never written into a local spool. */
    record Relayed(NextHop hop, Why why, String reason) implements Route {
        public Relayed {
            Objects.requireNonNull(hop);
            Objects.requireNonNull(why);
            Objects.requireNonNull(reason);
        }
    }

    /** Why a next hop: the domain is a relay domain, or the user's home server is elsewhere. */
    enum Why { RELAY_DOMAIN, HOME_SERVER }

    /** The home server the directory names cannot be read as a next hop: deferred until it is fixed. */
    record Invalid(String value, String reason) implements Route {
        public Invalid {
            Objects.requireNonNull(value);
            Objects.requireNonNull(reason);
        }
    }
}
