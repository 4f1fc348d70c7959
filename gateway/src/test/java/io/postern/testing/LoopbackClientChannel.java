package io.postern.testing;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * An embedded connection from a loopback client (127.0.0.1:40000), for driving a server pipeline
 * on a clock the test moves: configure the pipeline, then {@link #register()} and
 * {@link #freezeTime()}. Not thread-safe: one test thread drives it.
 */
public final class LoopbackClientChannel extends EmbeddedChannel {
    public LoopbackClientChannel() {
        super(EmbeddedChannel.builder().register(false));
    }

    @Override
    protected SocketAddress remoteAddress0() {
        return new InetSocketAddress("127.0.0.1", 40000);
    }

    /** The client sends {@code octets} (UTF-8). */
    public void send(String octets) {
        writeInbound(Unpooled.copiedBuffer(octets, StandardCharsets.UTF_8));
    }

    /** Moves the channel's clock and runs what became due. */
    public void advance(Duration by) {
        advanceTimeBy(by.toNanos(), TimeUnit.NANOSECONDS);
        runPendingTasks();
    }

    /** Everything the server wrote since the last call. */
    public String output() {
        StringBuilder out = new StringBuilder();
        for (Object o = readOutbound(); o != null; o = readOutbound()) {
            if (o instanceof ByteBuf buf) {
                out.append(buf.toString(StandardCharsets.UTF_8));
                buf.release();
            }
        }
        return out.toString();
    }
}
