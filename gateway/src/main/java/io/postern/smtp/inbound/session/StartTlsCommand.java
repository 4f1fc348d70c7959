package io.postern.smtp.inbound.session;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslHandler;
import io.postern.config.TlsMode;
import io.postern.smtp.inbound.codec.LineFramer;
import io.postern.smtp.reply.SmtpReply;
import java.net.InetAddress;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * STARTTLS for one session: refuses it ({@link TlsUpgrade#refusal}) or answers {@code 220},
 * puts TLS in front of the session, drops the plaintext pipelined behind the command and hands
 * the session the new TLS stage, so that it forgets what it knew (RFC 3207 4.2) and ends when
 * the handshake fails. Immutable.
 */
final class StartTlsCommand {
    private static final Logger LOG = LoggerFactory.getLogger(SmtpSessionHandler.class);

    /** What STARTTLS needs from the session. */
    interface Session {
        boolean tlsActive();

        boolean inTransaction();

        /** TLS is in place (the handshake follows): forget the greeting, the login and the transaction. */
        void upgraded(SslHandler ssl);
    }

    private final TlsMode mode;
    private final Optional<SslContext> tls;
    private final SessionOutput output;

    StartTlsCommand(TlsMode mode, Optional<SslContext> tls, SessionOutput output) {
        this.mode = mode;
        this.tls = tls;
        this.output = output;
    }

    /** True when EHLO may advertise STARTTLS. */
    boolean available(boolean tlsActive) {
        return TlsUpgrade.available(tlsActive, mode, tls);
    }

    void handle(ChannelHandlerContext ctx, ByteBuf input, LineFramer framer, InetAddress client, Session session) {
        Optional<SmtpReply> refused = TlsUpgrade.refusal(session.tlsActive(), mode, tls, session.inTransaction());
        if (refused.isPresent()) {
            output.error(refused.get());
            return;
        }
        SslHandler ssl = TlsUpgrade.install(ctx, tls.orElseThrow());
        output.write(SmtpReply.START_TLS.line());
        ctx.flush();
        int injected = TlsUpgrade.discardPipelined(input, framer);
        if (injected > 0) {
            LOG.info("event=starttls-injection-discarded client={} bytes={}", client.getHostAddress(), injected);
        }
        session.upgraded(ssl);
    }
}
