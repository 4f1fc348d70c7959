package io.postern.config;

import java.nio.file.Path;
import java.time.Duration;

/** The node-local durable queue. Immutable. */
public record QueueConfig(Path directory, Duration maxLifetime) {
    static QueueConfig from(ConfigNode node, Path base) {
        return new QueueConfig(
                base.resolve(node.string("directory", "var/queue")),
                node.duration("maxLifetime", Duration.ofDays(5)));
    }
}
