package io.postern.outbound;

import io.postern.mail.EnhancedStatus;
import io.postern.net.Transport;
import io.postern.testing.RecordingSmtpServer;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.EventLoopGroup;
import io.postern.config.OutboundConfig;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The command writer itself refuses a line holding CR, LF or NUL, whoever built it: nothing is sent. */
class SmtpConnectionLineTest {

    @Test
    void writerRefusesLineBreaksAndNulAndTheSessionGoesOn() throws Exception {
        Transport transport = Transport.best();
        EventLoopGroup group = transport.newGroup("test-client", 1);
        try (RecordingSmtpServer peer = RecordingSmtpServer.start(false)) {
            SmtpClient client = new SmtpClient(new Bootstrap().group(group).channel(transport.clientChannel()),
                    OutboundConfig.defaults(), "postern.test", SmtpClient.Protocol.SMTP,
                    new OutboundMetrics(new SimpleMeterRegistry()));
            SmtpClient.Opened opened = client.open(new InetSocketAddress(InetAddress.getLoopbackAddress(), peer.port()),
                    "peer.test", OutboundConfig.TlsPolicy.NONE, Optional.empty());
            SmtpConnection connection = ((SmtpClient.Opened.Ready) opened).connection();
            for (String bad : List.of("NOOP\r\nRSET", "NOOP\nRSET", "NOOP\rRSET", "NOOP\0RSET", "\r\n")) {
                assertThatThrownBy(() -> connection.write(bad)).isInstanceOfSatisfying(SessionFailure.class, f -> {
                    assertThat(f.enhancedCode()).isEqualTo(EnhancedStatus.SYSTEM_TEMPORARY);
                    assertThat(f.getMessage()).contains("CR, LF or NUL");
                });
            }
            assertThat(connection.command("NOOP", Duration.ofSeconds(5)).code()).isEqualTo(250);
            connection.close();
            assertThat(peer.lines()).extracting(l -> new String(l, StandardCharsets.UTF_8))
                    .containsExactly("EHLO postern.test\r\n", "NOOP\r\n");
        } finally {
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS).await(5, TimeUnit.SECONDS);
        }
    }
}
