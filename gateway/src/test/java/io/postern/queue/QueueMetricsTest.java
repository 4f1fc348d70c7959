package io.postern.queue;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.MeterRegistry;
import io.postern.mail.DeliveryResult;
import io.postern.mail.EnhancedStatus;
import io.postern.observability.Metrics;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The queue's meters as Prometheus shows them on /metrics. */
class QueueMetricsTest {
    @TempDir
    Path dir;

    @Test
    void sizeByStateOldestAgeAndDeliveriesByOutcome() throws Exception {
        try (Metrics metrics = new Metrics()) {
            MeterRegistry registry = metrics.registry();
            QueueFixture.ScriptedAgent agent = new QueueFixture.ScriptedAgent();
            agent.decide = r -> r.address().localPart().equals("later")
                    ? DeliveryResult.deferred(r, EnhancedStatus.of("4.4.1"), "try later")
                    : DeliveryResult.delivered(r, "ok", Optional.empty());
            try (MailQueue queue = MailQueue.start(QueueFixture.config(dir), "mx.example.test",
                    QueueFixture.address("postmaster@example.test"), registry, Clock.systemUTC(), IoHooks.NONE)) {
                queue.recovered().get();
                QueueFixture.accept(queue, QueueFixture.envelope("alice@example.test", "later@example.net"), "x\r\n");
                QueueFixture.accept(queue, QueueFixture.envelope("alice@example.test", "now@example.net"), "x\r\n");
                assertThat(metrics.scrape()).contains("postern_queue_messages{application=\"postern\",state=\"total\"}");
                queue.setDeliveryAgent(agent);
                QueueFixture.settle(queue); // both attempts have run and been recorded
                String scrape = metrics.scrape();
                assertThat(scrape).contains("postern_queue_messages{application=\"postern\",state=\"deferred\"} 1.0")
                        .contains("postern_queue_messages{application=\"postern\",state=\"total\"} 1.0")
                        .contains("postern_queue_messages{application=\"postern\",state=\"hold\"} 0.0")
                        .contains("postern_queue_oldest_age_seconds{application=\"postern\"}")
                        .contains("postern_queue_delivery_delay_seconds_count{application=\"postern\",outcome=\"delivered\"} 1")
                        .contains("postern_queue_delivery_delay_seconds_count{application=\"postern\",outcome=\"deferred\"} 1")
                        .contains("postern_queue_delivery_delay_seconds_bucket{application=\"postern\",outcome=\"delivered\"");
            }
        }
    }
}
