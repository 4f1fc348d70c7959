package io.postern.pop3;

import io.netty.channel.ChannelPipeline;
import io.netty.handler.stream.ChunkedWriteHandler;
import io.netty.handler.timeout.IdleStateHandler;
import io.postern.config.ListenerConfig;
import java.util.concurrent.TimeUnit;

/**
 * The POP3 pipeline of one accepted connection, top to bottom. The server has already put the
 * TLS handler first for implicit-TLS listeners; STLS inserts it at the top later.
 */
public final class Pop3Pipeline {
    private Pop3Pipeline() {
    }

    public static void configure(ChannelPipeline pipeline, ListenerConfig listener, Pop3Services services) {
        Pop3LineDecoder lines = new Pop3LineDecoder(services.config().maxLineLength());
        pipeline.addLast("pop3-limits", services.connectionLimits(listener));
        pipeline.addLast("pop3-lines", lines);
        // Behind the decoder: only whole lines (and finished writes) count as activity, not each octet.
        pipeline.addLast("pop3-idle", new IdleStateHandler(0, 0,
                services.config().idleTimeout().toMillis(), TimeUnit.MILLISECONDS));
        pipeline.addLast("pop3-chunks", new ChunkedWriteHandler());
        pipeline.addLast("pop3-session", new Pop3SessionHandler(listener, services, lines));
    }
}
