package io.postern.smtp;

import io.netty.channel.ChannelPipeline;
import io.netty.handler.ssl.SslHandler;
import io.postern.config.ListenerConfig;
import io.postern.config.TlsMode;
import io.postern.smtp.inbound.session.SmtpServices;
import io.postern.smtp.inbound.session.SmtpSessionHandler;

/**
 * Builds the pipeline of one SMTP, submission or LMTP connection, top to bottom: implicit TLS
 * (when the server has not added it already), then the session, which owns framing, limits and
 * timeouts itself because they change with the session's state (command, AUTH, DATA, BDAT).
 * Connection limits are checked by the session before the greeting. Stateless.
 */
public final class SmtpPipeline {
    private SmtpPipeline() {
    }

    public static void configure(ChannelPipeline pipeline, ListenerConfig listener, SmtpServices services) {
        if (listener.tls() == TlsMode.IMPLICIT && pipeline.get(SslHandler.class) == null) {
            pipeline.addLast("tls", services.tls().orElseThrow(
                    () -> new IllegalStateException("listener " + listener.name() + " needs a TLS certificate"))
                    .newHandler(pipeline.channel().alloc()));
        }
        pipeline.addLast("smtp-session", new SmtpSessionHandler(listener, services));
    }
}
