package io.postern.outbound;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class OutboundMetricsTest {

    @Test
    void destinationTagsAreCappedAndTheRestCountAsOther() {
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        OutboundMetrics metrics = new OutboundMetrics(registry);
        int over = OutboundMetrics.MAX_DESTINATION_TAGS + 50;
        for (int i = 0; i < over; i++) {
            metrics.transaction(SmtpClient.Protocol.SMTP, "d" + i + ".example", Duration.ofMillis(5));
        }
        metrics.transaction(SmtpClient.Protocol.SMTP, "d0.example", Duration.ofMillis(5));
        assertThat(registry.find("postern.outbound.transaction").timers())
                .hasSize(OutboundMetrics.MAX_DESTINATION_TAGS + 1);
        assertThat(registry.timer("postern.outbound.transaction", "protocol", "smtp", "destination", "other").count())
                .isEqualTo(50);
        assertThat(registry.timer("postern.outbound.transaction", "protocol", "smtp", "destination", "d0.example").count())
                .isEqualTo(2);
    }
}
