package io.postern.tls;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslProvider;
import io.postern.config.TlsConfig;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import java.util.Optional;
import javax.net.ssl.SSLException;

/**
 * Builds the server-side TLS context shared by every listener: from PEM files, or from a
 * self-signed certificate that {@link SelfSignedCertificates} creates once (demo). Protocols and
 * cipher suites come from {@link TlsConfig} (TLS 1.2 and 1.3, ECDHE with AEAD ciphers by
 * default). The context follows changes of the files ({@link ReloadingSslContext}).
 *
 * <p>The JDK provider, always: client-initiated renegotiation (a TLS 1.2 CPU-exhaustion lever, and
 * the stage of the 2009 prefix-injection attack) is refused through the JDK's
 * {@code jdk.tls.rejectClientInitiatedRenegotiation}, which the JDK reads once, when its first
 * server handshake runs: {@link #rejectClientRenegotiation()} must run before that, so the CLI
 * calls it first thing, and this class on loading.
 */
public final class TlsContexts {
    static final String REJECT_RENEGOTIATION = "jdk.tls.rejectClientInitiatedRenegotiation";

    static {
        rejectClientRenegotiation();
    }

    private TlsContexts() {
    }

    /** Sets the JDK switch that refuses a client's renegotiation; idempotent, cheap. */
    public static void rejectClientRenegotiation() {
        System.setProperty(REJECT_RENEGOTIATION, "true");
    }

    /** Empty when no certificate is configured (then no listener may use TLS; config checks that). */
    public static Optional<SslContext> server(TlsConfig config, String hostname) throws IOException {
        if (!config.configured()) {
            return Optional.empty();
        }
        Path cert;
        Path key;
        if (config.selfSigned()) {
            SelfSignedCertificates.Files files = SelfSignedCertificates.ensure(config.selfSignedDirectory(), hostname);
            cert = files.certificate();
            key = files.privateKey();
        } else {
            cert = config.certificateFile().orElseThrow();
            key = config.privateKeyFile().orElseThrow();
        }
        // Re-reads the files when they change: a renewed certificate needs no restart.
        return Optional.of(ReloadingSslContext.load(cert, key, config.protocols().toArray(String[]::new),
                config.ciphers(), System::nanoTime));
    }

    /**
     * Registers {@code postern.tls.certificate.expiry.seconds{certificate}}: seconds until the
     * certificate new handshakes present stops being valid (negative once expired), read at
     * each scrape so that a renewal shows without a restart. Does nothing for a context this
     * class did not build.
     */
    public static void meterExpiry(SslContext context, MeterRegistry registry) {
        if (context instanceof ReloadingSslContext reloading) {
            Gauge.builder("postern.tls.certificate.expiry", reloading,
                            c -> c.secondsLeft(Clock.systemUTC().instant()))
                    .baseUnit("seconds")
                    .description("seconds until the served certificate expires")
                    .tag("certificate", reloading.certificateFile().toString())
                    .register(registry);
        }
    }

    /** The builder every server context starts from: provider, protocols, suites in the server's order. */
    static SslContextBuilder configure(SslContextBuilder builder, String[] protocols, List<String> ciphers) {
        return builder.sslProvider(SslProvider.JDK).protocols(protocols).ciphers(ciphers);
    }

    static SslContext fromPem(Path certificate, Path privateKey) throws SSLException {
        try {
            return configure(SslContextBuilder.forServer(certificate.toFile(), privateKey.toFile()),
                    TlsConfig.DEFAULT_PROTOCOLS.toArray(String[]::new), TlsConfig.DEFAULT_CIPHERS)
                    .build();
        } catch (IllegalArgumentException e) {
            throw new SSLException("cannot load certificate " + certificate + " with key " + privateKey + ": "
                    + e.getMessage(), e);
        }
    }
}
