package io.postern.smtp.inbound.session;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslHandler;
import io.postern.config.TlsMode;
import io.postern.smtp.reply.SmtpReply;
import io.postern.smtp.inbound.codec.LineFramer;
import java.util.Optional;

/**
 * STARTTLS (RFC 3207) for one session: when it is offered or refused, installing TLS in front of
 * the session, and dropping plaintext that was pipelined behind the command (the CVE-2011-0411
 * class of injection). The session resets its own state afterwards. Stateless.
 */
final class TlsUpgrade {
    private TlsUpgrade() {
    }

    /** True when EHLO may advertise STARTTLS. */
    static boolean available(boolean tlsActive, TlsMode mode, Optional<SslContext> tls) {
        return !tlsActive && mode == TlsMode.STARTTLS && tls.isPresent();
    }

    /** The reply that refuses STARTTLS, or empty when it may start. */
    static Optional<SmtpReply> refusal(boolean tlsActive, TlsMode mode, Optional<SslContext> tls,
                                       boolean inTransaction) {
        if (tlsActive) {
            return Optional.of(SmtpReply.ALREADY_TLS);
        }
        if (!available(false, mode, tls)) {
            return Optional.of(mode == TlsMode.STARTTLS ? SmtpReply.TLS_NOT_AVAILABLE : SmtpReply.NOT_IMPLEMENTED);
        }
        if (inTransaction) {
            return Optional.of(SmtpReply.BAD_SEQUENCE);
        }
        return Optional.empty();
    }

    /**
     * Puts TLS first in the pipeline. {@code startTls=true}: the next write (the 220) still leaves
     * in clear text, everything after it is encrypted.
     */
    static SslHandler install(ChannelHandlerContext ctx, SslContext tls) {
        SslHandler ssl = new SslHandler(tls.newEngine(ctx.alloc()), true);
        ctx.pipeline().addFirst("tls", ssl);
        return ssl;
    }

    /** Drops every buffered plaintext byte and any line being skipped; returns how many bytes were dropped. */
    static int discardPipelined(ByteBuf input, LineFramer framer) {
        int injected = input.readableBytes();
        input.skipBytes(injected);
        framer.reset();
        return injected;
    }
}
