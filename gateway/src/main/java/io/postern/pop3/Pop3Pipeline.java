package io.postern.pop3;

import io.netty.channel.ChannelPipeline;
import io.netty.handler.stream.ChunkedWriteHandler;
import io.postern.config.ListenerConfig;
import io.postern.net.ListenerStages;
import io.postern.net.TimeoutStage;

/**
 * The POP3 pipeline of one accepted connection, top to bottom: the shared stages
 * ({@link ListenerStages}: PROXY, implicit TLS, connection caps, lines, the idle timeout), then
 * chunked writes and the session. STLS inserts TLS in front of the lines later.
 */
public final class Pop3Pipeline {
    private Pop3Pipeline() {
    }

    public static void configure(ChannelPipeline pipeline, ListenerConfig listener, Pop3Services services) {
        Pop3LineDecoder lines = new Pop3LineDecoder(services.config().maxLineLength());
        ListenerStages.install(pipeline, listener, services.connectionLimits(),
                Pop3Reply.TOO_MANY_CONNECTIONS.line(), services.tls(), p -> p.addLast("pop3-lines", lines),
                // Behind the decoder: only whole lines (and finished writes) count as activity, not each octet.
                new TimeoutStage(services.config().idleTimeout(), TimeoutStage.Activity.TRAFFIC),
                p -> {
                    p.addLast("pop3-chunks", new ChunkedWriteHandler());
                    p.addLast("pop3-session", new Pop3SessionHandler(listener, services, lines));
                });
    }
}
