package io.postern.server;

import io.micrometer.core.instrument.MeterRegistry;
import io.netty.handler.ssl.SslContext;
import io.postern.config.ListenerConfig;
import io.postern.config.ListenerKind;
import io.postern.config.PosternConfig;
import io.postern.directory.Directory;
import io.postern.lmtp.LmtpPipeline;
import io.postern.mail.DeliveryForecast;
import io.postern.mail.MessageSink;
import io.postern.net.ConnectionLimits;
import io.postern.net.Threads;
import io.postern.pop3.Pop3Pipeline;
import io.postern.pop3.Pop3Services;
import io.postern.sasl.LoginThrottle;
import io.postern.smtp.SmtpPipeline;
import io.postern.milter.MilterChain;
import io.postern.smtp.inbound.session.MessageFilters;
import io.postern.smtp.inbound.session.SmtpServices;
import io.postern.smtp.reply.SmtpReply;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.time.Clock;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * Builds the pipeline initializer of each listener kind from the node's parts: SMTP and
 * submission into the queue, LMTP into local delivery, POP3 over the spools. A kind the role
 * has no sink for (SMTP and submission on a delivery node) gets an {@link UnservedProtocol}.
 */
final class Protocols {
    private Protocols() {
    }

    static Map<ListenerKind, ProtocolInitializer> build(PosternConfig config, Directory directory,
                                                        Optional<MessageSink> smtpSink, MessageSink lmtpSink,
                                                        Optional<SslContext> tls, MeterRegistry registry,
                                                        Resources resources, DeliveryForecast forecast) {
        String host = config.node().hostname();
        ExecutorService blocking = Threads.virtual("smtp-io");
        resources.add(blocking::shutdownNow);
        // One throttle for SMTP, submission and POP3: a guesser cannot double its tries by switching protocol.
        LoginThrottle authFailures = new LoginThrottle(config.auth().throttle(), registry);
        ScheduledExecutorService sweeper = Threads.scheduler("login-throttle");
        sweeper.scheduleWithFixedDelay(authFailures::sweep, 5, 5, TimeUnit.SECONDS);
        resources.add(sweeper::shutdownNow);
        SmtpServices smtp = new SmtpServices(host, config.smtp(), config.auth(), config.relay(), config.domains(),
                directory, lmtpSink, tls, registry, authFailures,
                new ConnectionLimits(config.smtp().maxConnections(), config.smtp().maxConnectionsPerClient(),
                        config.delivery().lmtpMaxConnectionsPerClient()),
                blocking, Clock.systemDefaultZone());
        for (ListenerConfig listener : config.listeners()) {
            boolean served = switch (listener.kind()) {
                case MX, SUBMISSION -> smtpSink.isPresent();
                case LMTP -> true;
                case POP3 -> false;
            };
            if (served) {
                // Its rejection counters read 0 from the start, not from its first session.
                smtp.meters().register(listener.name());
            }
        }

        Map<ListenerKind, ProtocolInitializer> map = new EnumMap<>(ListenerKind.class);
        if (smtpSink.isPresent()) {
            // What local delivery would refuse anyway is refused before 250 (backscatter, docs/queue.md).
            SmtpServices queueing = smtp.withSink(smtpSink.get()).withForecast(forecast)
                    .withFilters(milters(config, registry, resources));
            ProtocolInitializer smtpInitializer = (listener, channel, pipeline) ->
                    SmtpPipeline.configure(pipeline, listener, queueing);
            map.put(ListenerKind.MX, smtpInitializer);
            map.put(ListenerKind.SUBMISSION, smtpInitializer);
        } else {
            map.put(ListenerKind.MX, new UnservedProtocol(SmtpReply.NOT_SERVED.line(host, "SMTP")));
            map.put(ListenerKind.SUBMISSION, new UnservedProtocol(SmtpReply.NOT_SERVED.line(host, "submission")));
        }
        map.put(ListenerKind.LMTP, (listener, channel, pipeline) ->
                LmtpPipeline.configure(pipeline, listener, smtp, lmtpSink));
        Pop3Services pop3 = resources.add(Pop3Services.create(host, config.pop3(), config.auth(), config.spool(),
                directory, tls, registry, authFailures));
        map.put(ListenerKind.POP3, (listener, channel, pipeline) -> Pop3Pipeline.configure(pipeline, listener, pop3));
        return map;
    }

    /**
     * One milter chain per MX and submission listener that names milters, built once and closed
     * with the node; messages wait for them in {@code filter/} beside the queue's directory.
     */
    private static MessageFilters milters(PosternConfig config, MeterRegistry registry, Resources resources) {
        Map<String, MilterChain> chains = new HashMap<>();
        for (ListenerConfig listener : config.listeners()) {
            if (!listener.milters().isEmpty()) {
                chains.put(listener.name(), resources.add(MilterChain.of(config.miltersOf(listener), registry)));
            }
        }
        Path spool = config.queue().directory().resolve("filter");
        try {
            return MessageFilters.create(chains, spool);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot prepare the milter spool " + spool, e);
        }
    }
}
