package io.postern.smtp.inbound.session;

import java.time.Duration;

/**
 * When a DATA phase or a BDAT sequence must be over, however steadily the client trickles: at
 * most {@code total} after it started, and at most {@code grace} plus one second per
 * {@code minRate} octets received (Postfix's {@code smtpd_min_data_rate} idea), so that a byte
 * every few seconds ends after about {@code grace} while a slow but real upload earns its time.
 * Times are nanosecond ticks of the session's event loop. Mutable, one per phase, event loop only.
 */
final class DataDeadline {
    private static final long NANOS_PER_SECOND = 1_000_000_000L;

    private final long started;
    private final long grace;
    private final long total;
    private final long minRate;
    private long received;

    /** {@code minRate} in octets per second; 0 leaves only the total limit. */
    DataDeadline(long startedNanos, Duration grace, Duration total, long minRate) {
        if (minRate < 0) {
            throw new IllegalArgumentException("minRate below 0");
        }
        this.started = startedNanos;
        this.grace = grace.toNanos();
        this.total = total.toNanos();
        this.minRate = minRate;
    }

    void received(long octets) {
        received += octets;
    }

    /** The tick at which the phase has taken too long. */
    long due() {
        if (minRate == 0) {
            return started + total;
        }
        long seconds = received / minRate;
        long earned = seconds >= Long.MAX_VALUE / (4 * NANOS_PER_SECOND) ? Long.MAX_VALUE / 4
                : seconds * NANOS_PER_SECOND + (received % minRate) * NANOS_PER_SECOND / minRate;
        return started + Math.min(total, grace + earned);
    }
}
