package io.postern.net;

import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.util.ReferenceCountUtil;
import io.postern.config.ListenerConfig;
import io.postern.observability.LogLine;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Applies a listener's connection caps to one connection before its session starts: over a cap,
 * the client gets the protocol's refusal (SMTP {@code 421 4.7.0}, POP3 {@code -ERR [SYS/TEMP]})
 * and the close, and the session never sees the connection. Counts the client address of
 * {@link ClientAddress}, so clients behind one balancer are counted one by one. One per
 * connection; event loop only.
 */
public final class ConnectionLimitStage extends ChannelInboundHandlerAdapter {
    private static final Logger LOG = LoggerFactory.getLogger(ConnectionLimitStage.class);

    private final ConnectionLimits limits;
    private final ListenerConfig listener;
    private final String refusal;
    private InetAddress counted;

    ConnectionLimitStage(ConnectionLimits limits, ListenerConfig listener, String refusal) {
        this.limits = limits;
        this.listener = listener;
        this.refusal = refusal;
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        InetAddress client = ClientAddress.of(ctx.channel());
        if (!limits.tryAcquire(listener, client)) {
            LogLine.event("connection-refused").add("reason", "limit").add("client", client.getHostAddress())
                    .add("listener", listener.name()).info(LOG);
            ctx.writeAndFlush(Unpooled.copiedBuffer(refusal, StandardCharsets.US_ASCII))
                    .addListener(ChannelFutureListener.CLOSE);
            return;
        }
        counted = client;
        ctx.fireChannelActive();
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (counted == null) {
            // Refused: what the client sends before the close goes nowhere.
            ReferenceCountUtil.release(msg);
            return;
        }
        ctx.fireChannelRead(msg);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        if (counted != null) {
            limits.release(listener, counted);
            counted = null;
            ctx.fireChannelInactive();
        }
    }
}
