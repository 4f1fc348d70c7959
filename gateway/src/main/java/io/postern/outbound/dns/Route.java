package io.postern.outbound.dns;

import io.postern.mail.EnhancedStatus;
import java.util.List;
import java.util.Objects;

/** The answer to "where does mail for this domain go": hosts to try, or why not (permanent or temporary). */
public sealed interface Route {

    /** Hosts in the order to try them (at least one, each with at least one address). */
    record Hosts(List<MxHost> hosts) implements Route {
        public Hosts {
            hosts = List.copyOf(hosts);
            if (hosts.isEmpty()) {
                throw new IllegalArgumentException("no hosts");
            }
        }
    }

    /** No delivery is possible (null MX, NXDOMAIN): bounce with this RFC 3463 code. */
    record PermanentFailure(EnhancedStatus enhancedCode, String reason) implements Route {
        public PermanentFailure {
            if (!enhancedCode.isPermanent()) {
                throw new IllegalArgumentException("a permanent failure needs a 5.x.x code, got " + enhancedCode);
            }
            Objects.requireNonNull(reason);
        }
    }

    /** DNS could not answer now (SERVFAIL, timeout): retry later. */
    record TemporaryFailure(EnhancedStatus enhancedCode, String reason) implements Route {
        public TemporaryFailure {
            if (!enhancedCode.isTransient()) {
                throw new IllegalArgumentException("a temporary failure needs a 4.x.x code, got " + enhancedCode);
            }
            Objects.requireNonNull(reason);
        }
    }
}
