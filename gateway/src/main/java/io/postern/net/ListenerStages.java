package io.postern.net;

import io.netty.channel.ChannelPipeline;
import io.netty.handler.ssl.SslContext;
import io.postern.config.ListenerConfig;
import io.postern.config.TlsMode;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * The stages every listener's connections pass, in order, for SMTP, submission, LMTP and POP3
 * alike; the protocol adds its own framing, timeouts and session behind them:
 * <ol>
 *   <li>{@code proxy}: the PROXY protocol decoder, on listeners that have it on. First, because
 *       every later stage must see the carried client address, and the header precedes TLS.</li>
 *   <li>{@code tls}: implicit TLS (smtps, pop3s). The only place it is added.</li>
 *   <li>{@code limits}: the connection caps per listener and per client. Behind TLS so that an
 *       implicit-TLS client reads its refusal, behind PROXY so that it counts real clients.</li>
 *   <li>the protocol's framing, if it has a stage for it (POP3's line decoder; SMTP frames in
 *       its session, because the framing changes with the session's state).</li>
 *   <li>{@code timeouts}: the {@link TimeoutStage}, on the event loop's ticker. Behind the
 *       framing, so that a protocol that counts traffic counts whole lines, not octets.</li>
 *   <li>the session (and whatever it needs next to it, such as chunked writes).</li>
 * </ol>
 * Stateless.
 */
public final class ListenerStages {
    private ListenerStages() {
    }

    /**
     * {@code refusal} is the protocol's full "too many connections" line (CRLF included);
     * {@code framing} adds the protocol's framing stages (none for SMTP), {@code session} its
     * session.
     */
    public static void install(ChannelPipeline pipeline, ListenerConfig listener, ConnectionLimits limits,
                               String refusal, Optional<SslContext> tls, Consumer<ChannelPipeline> framing,
                               TimeoutStage timeouts, Consumer<ChannelPipeline> session) {
        if (listener.proxyProtocol().enabled()) {
            pipeline.addLast("proxy", new ProxyProtocolStage(listener));
        }
        if (listener.tls() == TlsMode.IMPLICIT) {
            pipeline.addLast("tls", tls.orElseThrow(() -> new IllegalStateException(
                    "listener " + listener.name() + " needs a TLS certificate")).newHandler(pipeline.channel().alloc()));
        }
        pipeline.addLast("limits", limits.stage(listener, refusal));
        framing.accept(pipeline);
        pipeline.addLast("timeouts", timeouts);
        session.accept(pipeline);
    }
}
