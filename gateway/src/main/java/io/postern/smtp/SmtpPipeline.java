package io.postern.smtp;

import io.netty.channel.ChannelPipeline;
import io.postern.config.ListenerConfig;
import io.postern.net.ListenerStages;
import io.postern.net.TimeoutStage;
import io.postern.smtp.inbound.session.SmtpServices;
import io.postern.smtp.inbound.session.SmtpSessionHandler;
import io.postern.smtp.reply.SmtpReply;

/**
 * Builds the pipeline of one SMTP, submission or LMTP connection: the shared stages
 * ({@link ListenerStages}: PROXY, implicit TLS, connection caps with {@code 421 4.7.0}, the
 * timeouts), then the session, which frames its input itself because the framing changes with
 * the session's state (command, AUTH, DATA, BDAT) and tells the timeout stage what counts as
 * activity and which limit applies. Stateless.
 */
public final class SmtpPipeline {
    private SmtpPipeline() {
    }

    public static void configure(ChannelPipeline pipeline, ListenerConfig listener, SmtpServices services) {
        ListenerStages.install(pipeline, listener, services.connections(),
                SmtpReply.TOO_MANY_CONNECTIONS.line(services.hostname()), services.tls(), p -> { },
                // The session reports activity: whole command lines and message octets, not each octet.
                new TimeoutStage(services.smtp().idleTimeout(), TimeoutStage.Activity.REPORTED),
                p -> p.addLast("smtp-session", new SmtpSessionHandler(listener, services)));
    }
}
