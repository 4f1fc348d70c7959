package io.postern.net;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.embedded.EmbeddedChannel;
import io.postern.config.Cidr;
import io.postern.config.ListenerConfig;
import io.postern.config.ListenerKind;
import io.postern.config.ProxyProtocolConfig;
import io.postern.config.TlsMode;
import java.net.InetAddress;
import java.time.Duration;
import java.util.List;
import java.util.OptionalInt;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The PROXY stage on an embedded channel (its peer reads as 127.0.0.1), time driven by the
 * channel's ticker: nothing sleeps.
 */
class ProxyProtocolStageTest {
    private static final ListenerConfig LISTENER = new ListenerConfig("mx", ListenerKind.MX, "127.0.0.1", 25,
            TlsMode.NONE, OptionalInt.empty(), OptionalInt.empty(),
            new ProxyProtocolConfig(true, List.of(Cidr.parse("127.0.0.0/8").value()), Duration.ofSeconds(10)), List.of());

    /** Stands for the session: records whether it was told about the connection. */
    private static final class Session extends ChannelInboundHandlerAdapter {
        boolean active;
        boolean inactive;

        @Override
        public void channelActive(ChannelHandlerContext ctx) {
            active = true;
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            inactive = true;
        }
    }

    @Test
    void aTrustedProxyThatSendsNothingIsClosedAtTheHeaderTimeout() {
        Session session = new Session();
        EmbeddedChannel channel = new EmbeddedChannel();
        channel.freezeTime();
        channel.pipeline().addLast(new ProxyProtocolStage(LISTENER), session);
        channel.pipeline().fireChannelActive();
        channel.advanceTimeBy(9, TimeUnit.SECONDS);
        channel.runScheduledPendingTasks();
        assertThat(channel.isOpen()).isTrue();
        channel.advanceTimeBy(1, TimeUnit.SECONDS);
        channel.runScheduledPendingTasks();
        assertThat(channel.isOpen()).isFalse();
        // The session never saw the connection, neither its start nor its end.
        assertThat(session.active).isFalse();
        assertThat(session.inactive).isFalse();
    }

    @Test
    void theHeaderStartsTheSessionWithTheCarriedAddressAndPassesWhatFollows() throws Exception {
        Session session = new Session();
        EmbeddedChannel channel = new EmbeddedChannel();
        channel.freezeTime();
        channel.pipeline().addLast(new ProxyProtocolStage(LISTENER), session);
        channel.pipeline().fireChannelActive();
        channel.writeInbound(Unpooled.copiedBuffer(ProxyProtocolTest.v1("192.0.2.7")));
        assertThat(session.active).isTrue();
        assertThat(ClientAddress.of(channel)).isEqualTo(InetAddress.ofLiteral("192.0.2.7"));
        assertThat(ClientAddress.proxy(channel)).contains(InetAddress.getLoopbackAddress());
        channel.advanceTimeBy(1, TimeUnit.MINUTES);
        channel.runScheduledPendingTasks();
        assertThat(channel.isOpen()).as("the header timeout is cancelled").isTrue();
        channel.close();
        assertThat(session.inactive).isTrue();
    }
}
