package io.postern.net;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.haproxy.HAProxyCommand;
import io.netty.handler.codec.haproxy.HAProxyMessage;
import io.netty.handler.codec.haproxy.HAProxyMessageDecoder;
import io.netty.handler.codec.haproxy.HAProxyProxiedProtocol;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.ScheduledFuture;
import io.postern.config.ListenerConfig;
import io.postern.config.ProxyProtocolConfig;
import io.postern.observability.LogLine;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The PROXY protocol (v1 and v2, Netty's HAProxy codec) on a listener that has it on. A peer in
 * {@code trustedProxies} must open with a PROXY header within {@code headerTimeout}: the stages
 * behind this one (TLS, caps, the session) see the connection only once the header is read, and
 * then {@link ClientAddress} answers the carried address. A bad, oversize, missing or late header
 * closes the connection. Any other peer is a direct client: its connection goes on at once, and
 * if its first octets are a PROXY signature it is closed (it would claim an address it may not).
 * A {@code LOCAL} header (a balancer's health check) keeps the peer's own address.
 * One per connection; event loop only.
 */
public final class ProxyProtocolStage extends ChannelInboundHandlerAdapter {
    /** Room for the TLVs balancers add (AWS, Azure, GCP endpoint ids are tens of octets). */
    static final int MAX_TLV_OCTETS = 2048;
    private static final Logger LOG = LoggerFactory.getLogger(ProxyProtocolStage.class);
    private static final byte[] V1_SIGNATURE = "PROXY ".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] V2_SIGNATURE = {0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D, 0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A};

    private final ListenerConfig listener;
    private final ProxyProtocolConfig config;
    private boolean trusted;
    // The session has been told about the connection: from here on every event goes through.
    private boolean passed;
    private ScheduledFuture<?> deadline;
    // A direct client's first octets while they could still be the start of a PROXY signature.
    private ByteBuf held;

    public ProxyProtocolStage(ListenerConfig listener) {
        this.listener = listener;
        this.config = listener.proxyProtocol();
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        if (!config.trusts(ClientAddress.peer(ctx.channel()))) {
            passed = true;
            ctx.fireChannelActive();
            return;
        }
        trusted = true;
        ctx.pipeline().addBefore(ctx.name(), "proxy-decoder", new HAProxyMessageDecoder(MAX_TLV_OCTETS));
        deadline = ctx.executor().schedule(() -> refuse(ctx, "header-timeout"),
                config.headerTimeout().toNanos(), TimeUnit.NANOSECONDS);
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (msg instanceof HAProxyMessage header) {
            try {
                accept(ctx, header);
            } finally {
                header.release();
            }
            return;
        }
        if (trusted || !(msg instanceof ByteBuf bytes)) {
            ReferenceCountUtil.release(msg);
            return;
        }
        held = held == null ? bytes : joined(ctx, held, bytes);
        if (startsWith(held, V1_SIGNATURE) || startsWith(held, V2_SIGNATURE)) {
            releaseHeld();
            refuse(ctx, "untrusted-peer");
            return;
        }
        if (couldStart(held, V1_SIGNATURE) || couldStart(held, V2_SIGNATURE)) {
            return;
        }
        ByteBuf first = held;
        held = null;
        ctx.pipeline().remove(this);
        ctx.fireChannelRead(first);
    }

    private static ByteBuf joined(ChannelHandlerContext ctx, ByteBuf a, ByteBuf b) {
        ByteBuf sum = ctx.alloc().heapBuffer(a.readableBytes() + b.readableBytes());
        sum.writeBytes(a).writeBytes(b);
        a.release();
        b.release();
        return sum;
    }

    private void accept(ChannelHandlerContext ctx, HAProxyMessage header) {
        if (header.command() == HAProxyCommand.PROXY) {
            if (header.proxiedProtocol() != HAProxyProxiedProtocol.TCP4
                    && header.proxiedProtocol() != HAProxyProxiedProtocol.TCP6) {
                refuse(ctx, "unsupported-protocol");
                return;
            }
            InetSocketAddress client = new InetSocketAddress(InetAddress.ofLiteral(header.sourceAddress()),
                    header.sourcePort());
            ClientAddress.carry(ctx.channel(), client);
        }
        deadline.cancel(false);
        LogLine.event("proxy-header").add("listener", listener.name())
                .add("proxy", ClientAddress.peer(ctx.channel()).getHostAddress())
                .add("client", ClientAddress.of(ctx.channel()).getHostAddress())
                .add("command", header.command().name().toLowerCase(Locale.ROOT)).debug(LOG);
        passed = true;
        ctx.pipeline().remove(this);
        ctx.fireChannelActive();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        if (passed) {
            ctx.fireExceptionCaught(cause);
            return;
        }
        LogLine.event("proxy-refused").add("listener", listener.name())
                .add("peer", ClientAddress.peer(ctx.channel()).getHostAddress()).add("reason", "malformed-header")
                .add("error", String.valueOf(cause.getMessage())).info(LOG);
        ctx.close();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        if (deadline != null) {
            deadline.cancel(false);
        }
        releaseHeld();
        if (passed) {
            ctx.fireChannelInactive();
        }
    }

    private void refuse(ChannelHandlerContext ctx, String reason) {
        if (!ctx.channel().isActive()) {
            return;
        }
        LogLine.event("proxy-refused").add("listener", listener.name())
                .add("peer", ClientAddress.peer(ctx.channel()).getHostAddress()).add("reason", reason).info(LOG);
        ctx.close();
    }

    private void releaseHeld() {
        if (held != null) {
            held.release();
            held = null;
        }
    }

    private static boolean startsWith(ByteBuf bytes, byte[] signature) {
        if (bytes.readableBytes() < signature.length) {
            return false;
        }
        return couldStart(bytes, signature);
    }

    /** True when every octet so far matches the signature's start. */
    private static boolean couldStart(ByteBuf bytes, byte[] signature) {
        int n = Math.min(bytes.readableBytes(), signature.length);
        for (int i = 0; i < n; i++) {
            if (bytes.getByte(bytes.readerIndex() + i) != signature[i]) {
                return false;
            }
        }
        return true;
    }
}
