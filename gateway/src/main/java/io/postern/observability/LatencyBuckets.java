package io.postern.observability;

import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.config.MeterFilter;
import io.micrometer.core.instrument.distribution.DistributionStatisticConfig;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * Gives every Postern timer a small fixed set of Prometheus histogram buckets and no client-side
 * quantiles. Quantiles computed in one pod cannot be averaged across pods, histograms can
 * ({@code histogram_quantile(0.99, sum by (le) (rate(..._bucket[5m])))}); Micrometer's own
 * percentile histogram has up to 276 buckets per series (one delivery once produced 468 bucket
 * lines), so the bucket bounds are chosen here, per timer, and callers only name their timers.
 * Immutable.
 */
final class LatencyBuckets implements MeterFilter {
    /** Round trips to a server or a disk: 1 ms to 10 s. */
    static final List<Duration> FAST = millis(1, 2, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000);
    /** One SMTP transaction to another server, session setup included: 50 ms to 5 min. */
    static final List<Duration> TRANSACTION = millis(50, 100, 250, 500, 1000, 2500, 5000, 10000, 30000, 60000,
            120000, 300000);
    /** Arrival to end of delivery: seconds when all goes well, days for retries up to maxLifetime. */
    static final List<Duration> QUEUE = Stream.of(Duration.ofSeconds(1), Duration.ofSeconds(5), Duration.ofSeconds(30),
            Duration.ofMinutes(1), Duration.ofMinutes(5), Duration.ofMinutes(15), Duration.ofHours(1),
            Duration.ofHours(4), Duration.ofHours(12), Duration.ofDays(1), Duration.ofDays(2), Duration.ofDays(5)).toList();
    /** Login delays imposed by the throttle: 100 ms to 30 s. */
    static final List<Duration> THROTTLE = millis(100, 500, 1000, 2000, 5000, 10000, 30000);

    private static final Map<String, List<Duration>> BY_NAME = Map.of(
            "postern.queue.delivery.delay", QUEUE,
            "postern.outbound.transaction", TRANSACTION,
            "postern.auth.throttle.delays", THROTTLE);

    /** The bucket bounds of a timer; {@link #FAST} unless named otherwise. */
    static List<Duration> bucketsOf(String timerName) {
        return BY_NAME.getOrDefault(timerName, FAST);
    }

    @Override
    public DistributionStatisticConfig configure(Meter.Id id, DistributionStatisticConfig config) {
        if (id.getType() != Meter.Type.TIMER || !id.getName().startsWith("postern.")) {
            return config;
        }
        double[] bounds = bucketsOf(id.getName()).stream().mapToDouble(Duration::toNanos).toArray();
        return DistributionStatisticConfig.builder()
                .percentiles(new double[0])
                .percentilesHistogram(false)
                .serviceLevelObjectives(bounds)
                .build()
                .merge(config);
    }

    private static List<Duration> millis(long... values) {
        return java.util.Arrays.stream(values).mapToObj(Duration::ofMillis).toList();
    }
}
