package io.postern.smtp.inbound.session;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class DataDeadlineTest {
    private static final long S = 1_000_000_000L;

    @Test
    void aTrickleGetsTheGraceOnly() {
        DataDeadline d = new DataDeadline(100 * S, Duration.ofSeconds(60), Duration.ofHours(1), 500);
        d.received(10);
        assertThat(passed(d, 161 * S)).isTrue();
        assertThat(passed(d, 160 * S)).isFalse();
    }

    @Test
    void receivedOctetsEarnTimeUpToTheTotal() {
        DataDeadline d = new DataDeadline(0, Duration.ofSeconds(60), Duration.ofHours(1), 500);
        d.received(50_000);
        assertThat(d.due()).isEqualTo(160 * S);
        d.received(10_000_000_000L);
        assertThat(d.due()).isEqualTo(3600 * S);
    }

    @Test
    void noRateRuleLeavesTheTotal() {
        DataDeadline d = new DataDeadline(-5 * S, Duration.ofSeconds(60), Duration.ofMinutes(2), 0);
        assertThat(d.due()).isEqualTo(115 * S);
    }

    @Test
    void hugeCountsDoNotOverflow() {
        DataDeadline d = new DataDeadline(Long.MAX_VALUE - S, Duration.ofSeconds(60), Duration.ofDays(365), 1);
        d.received(Long.MAX_VALUE / 2);
        assertThat(passed(d, Long.MAX_VALUE - S + 30 * S)).isFalse();
    }

    private static boolean passed(DataDeadline d, long now) {
        return now - d.due() >= 0;
    }
}
