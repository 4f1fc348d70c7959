package io.postern.server;

import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelPipeline;
import io.postern.config.ListenerConfig;
import java.nio.charset.StandardCharsets;

/**
 * The pipeline of a listener whose protocol this node's role does not serve (SMTP and
 * submission on a delivery-only node, which has no queue): on connect it writes the given
 * greeting (the protocol's "service not available", {@code 421 4.3.2 ... not served by a delivery
 * node}) and closes without reading, so a misrouted client fails fast and retries elsewhere.
 * Immutable.
 */
final class UnservedProtocol implements ProtocolInitializer {
    private final String greeting;

    UnservedProtocol(String greeting) {
        this.greeting = greeting;
    }

    @Override
    public void initialize(ListenerConfig listener, Channel channel, ChannelPipeline pipeline) {
        pipeline.addLast("unserved", new ChannelInboundHandlerAdapter() {
            @Override
            public void channelActive(ChannelHandlerContext ctx) {
                ctx.writeAndFlush(Unpooled.copiedBuffer(greeting, StandardCharsets.US_ASCII))
                        .addListener(ChannelFutureListener.CLOSE);
            }
        });
    }
}
