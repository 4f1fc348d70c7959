package io.postern.observability;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/** What Prometheus scrapes from Postern's timers: a few histogram buckets, no client-side quantiles. */
class MetricsTest {
    private static List<String> lines(String scrape, String prefix) {
        return scrape.lines().filter(l -> l.startsWith(prefix)).toList();
    }

    @Test
    void timersPublishAFixedSmallBucketSetAndNoQuantiles() {
        try (Metrics metrics = new Metrics()) {
            // As the code registers them, even if a caller still asks for a percentile histogram or quantiles.
            for (String outcome : List.of("delivered", "deferred", "bounced")) {
                Timer.builder("postern.queue.delivery.delay").tag("outcome", outcome).publishPercentileHistogram()
                        .minimumExpectedValue(Duration.ofMillis(10)).maximumExpectedValue(Duration.ofDays(5))
                        .register(metrics.registry()).record(Duration.ofSeconds(3));
            }
            Timer.builder("postern.directory.lookups").tag("operation", "mailbox").tag("outcome", "found")
                    .publishPercentiles(0.5, 0.99).register(metrics.registry()).record(Duration.ofMillis(3));
            Timer.builder("postern.delivery.local.latency").register(metrics.registry()).record(Duration.ofMillis(7));

            String scrape = metrics.scrape();
            assertThat(scrape).doesNotContain("quantile=");
            assertThat(lines(scrape, "postern_queue_delivery_delay_seconds_bucket"))
                    .hasSize(3 * (LatencyBuckets.QUEUE.size() + 1));
            assertThat(lines(scrape, "postern_directory_lookups_seconds_bucket")).hasSize(LatencyBuckets.FAST.size() + 1);
            assertThat(lines(scrape, "postern_delivery_local_latency_seconds_bucket"))
                    .hasSize(LatencyBuckets.FAST.size() + 1)
                    .anyMatch(l -> l.contains("le=\"0.01\"") && l.endsWith(" 1"))
                    .anyMatch(l -> l.contains("le=\"0.005\"") && l.endsWith(" 0"))
                    .anyMatch(l -> l.contains("le=\"+Inf\""));
        }
    }

    @Test
    void otherLibrariesTimersAreLeftAlone() {
        try (Metrics metrics = new Metrics()) {
            Timer.builder("netty.something").publishPercentiles(0.5).register(metrics.registry()).record(Duration.ofMillis(1));
            assertThat(metrics.scrape()).contains("netty_something_seconds{application=\"postern\",quantile=\"0.5\"}");
        }
    }
}
