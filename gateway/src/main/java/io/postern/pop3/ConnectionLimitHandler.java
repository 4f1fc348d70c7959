package io.postern.pop3;

import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.util.AttributeKey;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Caps open POP3 connections on one listener ({@code pop3.maxConnections} or the listener's own)
 * and per client address ({@code pop3.maxConnectionsPerClient}); a connection over a cap is told
 * so and closed before its session starts. Shared by every connection of its listener; thread-safe.
 */
@ChannelHandler.Sharable
final class ConnectionLimitHandler extends ChannelInboundHandlerAdapter {
    private static final AttributeKey<Boolean> COUNTED = AttributeKey.valueOf("pop3.counted");

    private final int maxConnections;
    private final int maxPerClient;
    private final AtomicInteger total = new AtomicInteger();
    private final ConcurrentHashMap<InetAddress, AtomicInteger> perClient = new ConcurrentHashMap<>();

    ConnectionLimitHandler(int maxConnections, int maxPerClient) {
        this.maxConnections = maxConnections;
        this.maxPerClient = maxPerClient;
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        InetAddress client = ((InetSocketAddress) ctx.channel().remoteAddress()).getAddress();
        int all = total.incrementAndGet();
        int mine = perClient.computeIfAbsent(client, k -> new AtomicInteger()).incrementAndGet();
        ctx.channel().attr(COUNTED).set(true);
        if (all > maxConnections || mine > maxPerClient) {
            ctx.writeAndFlush(Unpooled.copiedBuffer(Pop3Replies.TOO_MANY_CONNECTIONS + "\r\n", StandardCharsets.US_ASCII))
                    .addListener(ChannelFutureListener.CLOSE);
            return;
        }
        ctx.fireChannelActive();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        if (Boolean.TRUE.equals(ctx.channel().attr(COUNTED).getAndSet(false))) {
            total.decrementAndGet();
            InetAddress client = ((InetSocketAddress) ctx.channel().remoteAddress()).getAddress();
            perClient.computeIfPresent(client, (k, count) -> count.decrementAndGet() <= 0 ? null : count);
        }
        ctx.fireChannelInactive();
    }
}
