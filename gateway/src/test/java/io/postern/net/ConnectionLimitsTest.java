package io.postern.net;

import static org.assertj.core.api.Assertions.assertThat;

import io.postern.config.ListenerConfig;
import io.postern.config.ListenerKind;
import io.postern.config.TlsMode;
import java.net.InetAddress;
import java.util.OptionalInt;
import org.junit.jupiter.api.Test;

/** LMTP listeners count one client (a front node) against their own cap, sized for the front tier. */
class ConnectionLimitsTest {
    private static final ListenerConfig MX = new ListenerConfig("mx", ListenerKind.MX, "127.0.0.1", 25, TlsMode.NONE);
    private static final ListenerConfig LMTP = new ListenerConfig("lmtp", ListenerKind.LMTP, "127.0.0.1", 24, TlsMode.NONE);

    @Test
    void anLmtpListenerTakesMoreSessionsFromOneFrontThanSmtpTakesFromOneClient() throws Exception {
        ConnectionLimits limits = new ConnectionLimits(100, 2, 5);
        InetAddress front = InetAddress.getByName("10.0.0.7");
        assertThat(limits.tryAcquire(MX, front)).isTrue();
        assertThat(limits.tryAcquire(MX, front)).isTrue();
        assertThat(limits.tryAcquire(MX, front)).as("smtp.maxConnectionsPerClient").isFalse();
        for (int i = 0; i < 5; i++) {
            assertThat(limits.tryAcquire(LMTP, front)).as("session " + (i + 1)).isTrue();
        }
        assertThat(limits.tryAcquire(LMTP, front)).as("delivery.lmtpMaxConnectionsPerClient exceeded").isFalse();
        limits.release(LMTP, front);
        assertThat(limits.tryAcquire(LMTP, front)).isTrue();
    }

    @Test
    void anLmtpListenersOwnCapStillWins() throws Exception {
        ListenerConfig capped = new ListenerConfig("lmtp2", ListenerKind.LMTP, "127.0.0.1", 2424, TlsMode.NONE,
                OptionalInt.empty(), OptionalInt.of(1));
        ConnectionLimits limits = new ConnectionLimits(100, 2, 5);
        InetAddress front = InetAddress.getByName("10.0.0.7");
        assertThat(limits.tryAcquire(capped, front)).isTrue();
        assertThat(limits.tryAcquire(capped, front)).isFalse();
    }
}
