package io.postern.outbound;

import io.netty.bootstrap.Bootstrap;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.util.InsecureTrustManagerFactory;
import io.postern.config.OutboundConfig;
import io.postern.config.OutboundConfig.TlsPolicy;
import io.postern.mail.EnhancedStatus;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Base64;
import java.util.Objects;
import java.util.Optional;
import javax.net.ssl.SSLException;

/**
 * Opens a ready session to one address: connect, greeting, EHLO (HELO when EHLO is refused) or
 * LHLO, STARTTLS by the destination's policy, AUTH PLAIN for a relay host. The session is then
 * ready for a mail transaction. Immutable, thread-safe; blocking, call from a virtual thread.
 */
final class SmtpClient {
    enum Protocol { SMTP, LMTP }

    /** Relay host credentials; {@link #toString()} never shows the password. */
    record Credentials(String username, String password) {
        Credentials {
            Objects.requireNonNull(username);
            Objects.requireNonNull(password);
        }

        @Override
        public String toString() {
            return "Credentials[" + username + "]";
        }
    }

    /** The outcome of opening a session. */
    sealed interface Opened {
        record Ready(SmtpConnection connection) implements Opened {
        }

        /**
         * The host cannot take mail now (or ever, for a 5xx greeting): try the next one.
         * {@code answered}: the host replied (a 4xx greeting or LHLO is "busy, try again soon",
         * not "down"); false when it could not be reached or the session broke.
         */
        record Unavailable(EnhancedStatus enhancedCode, String diagnostic, boolean permanent, Optional<String> remoteMta,
                           boolean answered) implements Opened {
            Unavailable(EnhancedStatus enhancedCode, String diagnostic, boolean permanent, Optional<String> remoteMta) {
                this(enhancedCode, diagnostic, permanent, remoteMta, false);
            }
        }
    }

    private static final String[] PROTOCOLS = {"TLSv1.3", "TLSv1.2"};

    private final Bootstrap bootstrap;
    private final OutboundConfig config;
    private final String heloName;
    private final Protocol protocol;
    private final SslContext anyCertificate;
    private final SslContext verifiedCertificate;
    private final OutboundMetrics metrics;

    SmtpClient(Bootstrap bootstrap, OutboundConfig config, String heloName, Protocol protocol, OutboundMetrics metrics)
            throws SSLException {
        this.bootstrap = bootstrap;
        this.config = config;
        this.heloName = heloName;
        this.protocol = protocol;
        this.metrics = metrics;
        // Opportunistic TLS (RFC 7435) accepts any certificate: encryption against passive
        // listeners is better than plaintext, and MX certificates are often self-signed.
        this.anyCertificate = SslContextBuilder.forClient().protocols(PROTOCOLS)
                .trustManager(InsecureTrustManagerFactory.INSTANCE).build();
        SslContextBuilder verified = SslContextBuilder.forClient().protocols(PROTOCOLS);
        Optional<Path> trust = config.tls().trustFile();
        if (trust.isPresent()) {
            verified.trustManager(trust.get().toFile());
        }
        this.verifiedCertificate = verified.build();
    }

    Protocol protocol() {
        return protocol;
    }

    Opened open(InetSocketAddress address, String hostName, TlsPolicy policy, Optional<Credentials> credentials) {
        return open(address, hostName, policy, credentials, config.timeouts());
    }

    /** With the given timeouts for connect, greeting and hello instead of the configured ones. */
    Opened open(InetSocketAddress address, String hostName, TlsPolicy policy, Optional<Credentials> credentials,
                OutboundConfig.Timeouts timeouts) {
        boolean tryTls = policy != TlsPolicy.NONE;
        for (int attempt = 0; attempt < 2; attempt++) {
            SmtpConnection connection;
            try {
                connection = SmtpConnection.connect(bootstrap, address, hostName, timeouts.connect(),
                        config.maxReplyLineLength(), config.maxReplyLines(), config.maxRecipientsPerTransaction() + 16);
            } catch (SessionFailure e) {
                metrics.connection(protocol, "failed");
                return new Opened.Unavailable(e.enhancedCode(), e.getMessage(), false, Optional.empty());
            }
            try {
                Opened opened = negotiate(connection, hostName, policy, tryTls, credentials, timeouts);
                if (opened instanceof Opened.Ready) {
                    metrics.connection(protocol, "opened");
                    return opened;
                }
                connection.quit();
                metrics.connection(protocol, "refused");
                return opened;
            } catch (SessionFailure e) {
                connection.close();
                if (e.enhancedCode().equals(Diagnostics.TLS_FAILED_CODE) && policy == TlsPolicy.OPPORTUNISTIC && tryTls) {
                    // A broken TLS stack on the server: like Postfix, deliver in plaintext rather than never.
                    tryTls = false;
                    continue;
                }
                metrics.connection(protocol, "failed");
                return new Opened.Unavailable(e.enhancedCode(), e.getMessage(), false,
                        Optional.of(connection.remoteMta()));
            }
        }
        throw new IllegalStateException("unreachable");
    }

    private Opened negotiate(SmtpConnection connection, String hostName, TlsPolicy policy, boolean tryTls,
                             Optional<Credentials> credentials, OutboundConfig.Timeouts timeouts) throws SessionFailure {
        String mta = connection.remoteMta();
        SmtpReply greeting = connection.read("greeting", timeouts.greeting());
        if (!greeting.positive()) {
            return unavailable(greeting, Diagnostics.rejected(mta, "greeting", greeting), mta);
        }
        SmtpReply hello = hello(connection, timeouts);
        if (!hello.positive()) {
            return unavailable(hello, Diagnostics.rejected(mta, protocol == Protocol.LMTP ? "LHLO" : "EHLO", hello), mta);
        }
        boolean mustTls = policy == TlsPolicy.REQUIRED || policy == TlsPolicy.VERIFY;
        if (tryTls && connection.extensions().has("STARTTLS")) {
            SmtpReply starttls = connection.command("STARTTLS", timeouts.helo());
            if (starttls.positive()) {
                connection.startTls(policy == TlsPolicy.VERIFY ? verifiedCertificate : anyCertificate, hostName,
                        policy == TlsPolicy.VERIFY, timeouts.helo());
                hello = hello(connection, timeouts);
                if (!hello.positive()) {
                    return unavailable(hello, Diagnostics.rejected(mta, "EHLO after STARTTLS", hello), mta);
                }
            } else if (mustTls) {
                return new Opened.Unavailable(Diagnostics.TLS_NOT_OFFERED_CODE, Diagnostics.tlsRefused(mta, starttls),
                        false, Optional.of(mta));
            }
        } else if (mustTls) {
            return new Opened.Unavailable(Diagnostics.TLS_NOT_OFFERED_CODE, Diagnostics.tlsNotOffered(mta), false,
                    Optional.of(mta));
        }
        if (credentials.isPresent()) {
            Optional<Opened> refused = authenticate(connection, credentials.get());
            if (refused.isPresent()) {
                return refused.get();
            }
        }
        return new Opened.Ready(connection);
    }

    /** EHLO or LHLO; an SMTP server that does not know EHLO (5xx) gets HELO (RFC 5321 3.2). */
    private SmtpReply hello(SmtpConnection connection, OutboundConfig.Timeouts timeouts) throws SessionFailure {
        java.time.Duration timeout = timeouts.helo();
        if (protocol == Protocol.LMTP) {
            SmtpReply lhlo = connection.command("LHLO " + heloName, timeout);
            connection.extensions(lhlo.positive() ? Extensions.parse(lhlo) : Extensions.none());
            return lhlo;
        }
        SmtpReply ehlo = connection.command("EHLO " + heloName, timeout);
        if (ehlo.positive()) {
            connection.extensions(Extensions.parse(ehlo));
            return ehlo;
        }
        if (!ehlo.permanentFailure() || connection.tls()) {
            return ehlo;
        }
        connection.extensions(Extensions.none());
        return connection.command("HELO " + heloName, timeout);
    }

    private Optional<Opened> authenticate(SmtpConnection connection, Credentials credentials) throws SessionFailure {
        String mta = connection.remoteMta();
        if (!connection.tls()) {
            return Optional.of(new Opened.Unavailable(Diagnostics.AUTH_NEEDS_TLS_CODE, Diagnostics.authNeedsTls(mta),
                    false, Optional.of(mta)));
        }
        if (!connection.extensions().authMechanisms().contains("PLAIN")) {
            return Optional.of(new Opened.Unavailable(Diagnostics.AUTH_FAILED_CODE, Diagnostics.authNotOffered(mta),
                    false, Optional.of(mta)));
        }
        String token = Base64.getEncoder().encodeToString(("\0" + credentials.username() + "\0" + credentials.password())
                .getBytes(StandardCharsets.UTF_8));
        SmtpReply reply = connection.command("AUTH PLAIN " + token, config.timeouts().helo());
        if (reply.positive()) {
            return Optional.empty();
        }
        // A refused login is a configuration problem here, not the message's: defer, never bounce.
        return Optional.of(new Opened.Unavailable(Diagnostics.AUTH_FAILED_CODE, Diagnostics.authFailed(mta, reply),
                false, Optional.of(mta)));
    }

    private static Opened unavailable(SmtpReply reply, String diagnostic, String mta) {
        EnhancedStatus code = reply.enhancedCode().orElse(reply.transientFailure() ? EnhancedStatus.TEMPORARY
                : EnhancedStatus.PERMANENT);
        return new Opened.Unavailable(code, diagnostic, reply.permanentFailure(), Optional.of(mta), true);
    }
}
