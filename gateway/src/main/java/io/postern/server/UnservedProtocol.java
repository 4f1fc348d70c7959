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
 * For a listener kind whose protocol this build does not serve yet: answers the protocol's own
 * "service not available" greeting and closes, so a client fails fast and clearly.
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
