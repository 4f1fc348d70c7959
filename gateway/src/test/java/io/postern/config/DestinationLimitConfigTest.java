package io.postern.config;

import static org.assertj.core.api.Assertions.assertThat;

import io.postern.testing.LogCapture;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.snakeyaml.engine.v2.api.Load;
import org.snakeyaml.engine.v2.api.LoadSettings;

/**
 * One per-destination limit: {@code queue.destinationConcurrency}, for the queue's destination table
 * and the outbound client alike; the old {@code outbound.connections.maxPerDestination} is still
 * accepted, with a warning at start.
 */
class DestinationLimitConfigTest {

    private static PosternConfig load(String yaml) {
        Object tree = new Load(LoadSettings.builder().build()).loadFromString(yaml);
        ConfigProblems problems = new ConfigProblems();
        ConfigNode root = ConfigNode.root((Map<?, ?>) tree, problems, new SecretResolver(Map.of()));
        PosternConfig config = PosternConfig.from(root, Path.of("/etc/postern"));
        root.finish();
        assertThat(problems.list()).noneMatch(p -> p.contains("unknown key") || p.contains("destination")
                || p.contains("PerDestination"));
        return config;
    }

    @Test
    void theQueueKeyIsTheOneLimitAndTheOutboundClientReadsIt() {
        try (LogCapture logs = LogCapture.of(PosternConfig.class)) {
            PosternConfig config = load("queue: {destinationConcurrency: 7}\n");
            assertThat(config.queue().destinationConcurrency()).isEqualTo(7);
            assertThat(config.outbound().connections().maxPerDestination()).isEqualTo(7);
            assertThat(logs.events("config-deprecated")).isEmpty();
        }
    }

    @Test
    void theOldOutboundKeyStillWorksWithAWarning() {
        try (LogCapture logs = LogCapture.of(PosternConfig.class)) {
            PosternConfig config = load("outbound: {connections: {maxPerDestination: 3}}\n");
            assertThat(config.queue().destinationConcurrency()).isEqualTo(3);
            assertThat(config.outbound().connections().maxPerDestination()).isEqualTo(3);
            assertThat(logs.events("config-deprecated")).singleElement().asString()
                    .contains("key=outbound.connections.maxPerDestination").contains("use=queue.destinationConcurrency")
                    .contains("action=used-as-queue.destinationConcurrency");
        }
    }

    @Test
    void whenBothAreSetTheQueueKeyWins() {
        try (LogCapture logs = LogCapture.of(PosternConfig.class)) {
            PosternConfig config = load("""
                    queue: {destinationConcurrency: 10}
                    outbound: {connections: {maxPerDestination: 30}}
                    """);
            assertThat(config.queue().destinationConcurrency()).isEqualTo(10);
            assertThat(config.outbound().connections().maxPerDestination()).isEqualTo(10);
            assertThat(logs.events("config-deprecated")).singleElement().asString().contains("action=ignored");
        }
    }
}
