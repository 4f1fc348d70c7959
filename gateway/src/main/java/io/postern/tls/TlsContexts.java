package io.postern.tls;

import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.postern.config.TlsConfig;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Optional;
import javax.net.ssl.SSLException;

/**
 * Builds the server-side TLS context shared by every listener: from PEM files, or from a
 * self-signed certificate that {@link SelfSignedCertificates} creates once (demo). TLS 1.2 and
 * 1.3 only. The context follows changes of the files ({@link ReloadingSslContext}).
 */
public final class TlsContexts {
    private static final String[] PROTOCOLS = {"TLSv1.3", "TLSv1.2"};

    private TlsContexts() {
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
        return Optional.of(ReloadingSslContext.load(cert, key, PROTOCOLS, System::nanoTime));
    }

    static SslContext fromPem(Path certificate, Path privateKey) throws SSLException {
        try {
            return SslContextBuilder.forServer(certificate.toFile(), privateKey.toFile())
                    .protocols(PROTOCOLS)
                    .build();
        } catch (IllegalArgumentException e) {
            throw new SSLException("cannot load certificate " + certificate + " with key " + privateKey + ": "
                    + e.getMessage(), e);
        }
    }
}
