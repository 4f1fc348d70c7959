package io.postern.lmtp;

import io.netty.channel.ChannelPipeline;
import io.postern.config.ListenerConfig;
import io.postern.config.ListenerKind;
import io.postern.mail.MessageSink;
import io.postern.smtp.SmtpPipeline;
import io.postern.smtp.inbound.session.SmtpServices;

/**
 * LMTP (RFC 2033) as a thin delta on the SMTP session: the same framing, limits and policy,
 * with LHLO instead of HELO/EHLO, no AUTH, no relaying, and after DATA one reply per accepted
 * recipient, taken from the per-recipient outcomes that the delivery layer returns in its
 * {@link io.postern.mail.Acceptance}. Stateless.
 */
public final class LmtpPipeline {
    private LmtpPipeline() {
    }

    /** {@code delivery} receives the messages (synchronous delivery into spools). */
    public static void configure(ChannelPipeline pipeline, ListenerConfig listener, SmtpServices services,
                                 MessageSink delivery) {
        if (listener.kind() != ListenerKind.LMTP) {
            throw new IllegalArgumentException("listener " + listener.name() + " is not an LMTP listener");
        }
        SmtpPipeline.configure(pipeline, listener, services.withSink(delivery));
    }
}
