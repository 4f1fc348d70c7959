package io.postern.server;

import io.postern.config.Role;
import io.postern.observability.AdvisoryCheck;
import io.postern.observability.ReadinessCheck;
import io.postern.observability.WritableDirectoryCheck;
import java.nio.file.Path;
import java.util.List;

/**
 * Which conditions take a node out of its Service, by role. A front (or all-in-one) node is
 * ready while it can accept into its queue: a directory outage served from the cache, or a spool
 * outage (mail waits in the queue), are shared by every front pod, so gating on them would empty
 * the Service at once and refuse mail that could have waited. A delivery node writes the spool
 * before it answers LMTP, so the spool gates it. The directory never gates: when it is out every
 * pod sees the same outage and the sessions answer 4xx themselves. Stateless.
 */
final class RoleReadiness {
    private RoleReadiness() {
    }

    static List<ReadinessCheck> checks(Role role, ReadinessCheck directory, Path queue, Path spool, Path deliveryTemp) {
        ReadinessCheck spoolCheck = new WritableDirectoryCheck("spool", spool);
        // Messages over delivery.memoryThreshold wait here before the spool write: on a read-only
        // root file system without a volume for it every large message would get 452.
        ReadinessCheck tempCheck = new WritableDirectoryCheck("delivery-temp", deliveryTemp);
        return switch (role) {
            case FRONT, ALL -> List.of(new WritableDirectoryCheck("queue", queue), new AdvisoryCheck(directory),
                    new AdvisoryCheck(spoolCheck), new AdvisoryCheck(tempCheck));
            case DELIVERY -> List.of(spoolCheck, tempCheck, new AdvisoryCheck(directory));
        };
    }
}
