package io.postern.smtp.inbound.session;

import io.micrometer.core.instrument.MeterRegistry;
import io.netty.handler.ssl.SslContext;
import io.postern.config.AuthConfig;
import io.postern.config.RelayConfig;
import io.postern.config.SmtpConfig;
import io.postern.directory.Directory;
import io.postern.mail.DeliveryForecast;
import io.postern.mail.MessageSink;
import io.postern.sasl.LoginThrottle;
import io.postern.net.ConnectionLimits;
import io.postern.smtp.inbound.policy.SenderLimiter;
import java.time.Clock;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.Executor;

/**
 * Everything an SMTP or LMTP session needs from the rest of the node, built once per node and
 * shared by all sessions of all SMTP-family listeners. {@code blocking} runs directory look-ups
 * and logins so that the event loop never waits on LDAP. {@code sink} is the queue for MX and
 * submission listeners, the delivery layer for LMTP. {@code forecast} tells MX and submission
 * sessions what local delivery would refuse anyway (a full mailbox, a Delivered-To loop), so that
 * they refuse it before {@code 250}. {@code senderLimits} counts authenticated senders' messages
 * for the whole node (every listener shares it). {@code filters} are the milter chains of the
 * listeners that name milters. {@code meters} are resolved once per listener, shared by the copies
 * ({@code with...}) and by all their sessions. Immutable (its parts are thread-safe).
 */
public record SmtpServices(
        String hostname,
        SmtpConfig smtp,
        AuthConfig auth,
        RelayConfig relay,
        List<String> domains,
        Directory directory,
        MessageSink sink,
        Optional<SslContext> tls,
        SmtpMeters meters,
        LoginThrottle authFailures,
        ConnectionLimits connections,
        Executor blocking,
        Clock clock,
        DeliveryForecast forecast,
        SenderLimiter senderLimits,
        MessageFilters filters) {

    public SmtpServices {
        Objects.requireNonNull(hostname);
        Objects.requireNonNull(smtp);
        Objects.requireNonNull(auth);
        Objects.requireNonNull(relay);
        domains = List.copyOf(domains);
        Objects.requireNonNull(directory);
        Objects.requireNonNull(sink);
        Objects.requireNonNull(tls);
        Objects.requireNonNull(meters);
        Objects.requireNonNull(authFailures);
        Objects.requireNonNull(connections);
        Objects.requireNonNull(blocking);
        Objects.requireNonNull(clock);
        Objects.requireNonNull(forecast);
        Objects.requireNonNull(senderLimits);
        Objects.requireNonNull(filters);
    }

    /** Services without milters, with the relay section's per-sender limits. */
    public SmtpServices(String hostname, SmtpConfig smtp, AuthConfig auth, RelayConfig relay, List<String> domains,
                        Directory directory, MessageSink sink, Optional<SslContext> tls, MeterRegistry meters,
                        LoginThrottle authFailures, ConnectionLimits connections, Executor blocking, Clock clock,
                        DeliveryForecast forecast) {
        this(hostname, smtp, auth, relay, domains, directory, sink, tls, new SmtpMeters(meters), authFailures,
                connections, blocking, clock, forecast, new SenderLimiter(relay.limits(), clock), MessageFilters.NONE);
    }

    /** Services whose sessions know nothing of local delivery in advance ({@link DeliveryForecast#NONE}). */
    public SmtpServices(String hostname, SmtpConfig smtp, AuthConfig auth, RelayConfig relay, List<String> domains,
                        Directory directory, MessageSink sink, Optional<SslContext> tls, MeterRegistry meters,
                        LoginThrottle authFailures, ConnectionLimits connections, Executor blocking, Clock clock) {
        this(hostname, smtp, auth, relay, domains, directory, sink, tls, meters, authFailures, connections, blocking,
                clock, DeliveryForecast.NONE);
    }

    /** The same services with another forecast. */
    public SmtpServices withForecast(DeliveryForecast other) {
        return new SmtpServices(hostname, smtp, auth, relay, domains, directory, sink, tls, meters, authFailures,
                connections, blocking, clock, other, senderLimits, filters);
    }

    /** The same services with the listeners' milters. */
    public SmtpServices withFilters(MessageFilters other) {
        return new SmtpServices(hostname, smtp, auth, relay, domains, directory, sink, tls, meters, authFailures,
                connections, blocking, clock, forecast, senderLimits, other);
    }

    /** The same services with another sink (LMTP listeners deliver instead of queueing). */
    public SmtpServices withSink(MessageSink other) {
        return new SmtpServices(hostname, smtp, auth, relay, domains, directory, other, tls, meters, authFailures,
                connections, blocking, clock, forecast, senderLimits, filters);
    }
}
