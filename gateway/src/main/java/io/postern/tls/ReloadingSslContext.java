package io.postern.tls;

import io.netty.buffer.ByteBufAllocator;
import io.netty.handler.ssl.ApplicationProtocolNegotiator;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.postern.observability.LogLine;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.Signature;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.function.LongSupplier;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLSessionContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A server TLS context that follows its PEM files: when the certificate or key file changes
 * (cert-manager renewing a Kubernetes Secret, certbot replacing a file), the next connection that
 * starts TLS after at most {@link #CHECK_EVERY} gets the new certificate; sessions already
 * established keep theirs. No restart, no signal.
 *
 * <p>A new pair is used only when it parses and the key belongs to the certificate (a test
 * signature); otherwise the previous pair stays in service and the failure is logged, so a
 * half-written renewal never breaks TLS. The check costs two file-metadata reads, and runs at
 * most once per {@link #CHECK_EVERY} on whichever thread starts a handshake; the rare re-read
 * of the files happens there too. Thread-safe.
 */
final class ReloadingSslContext extends SslContext {
    /** How stale a certificate may be after its files change; renewals come days before expiry. */
    static final Duration CHECK_EVERY = Duration.ofSeconds(30);

    private static final Logger LOG = LoggerFactory.getLogger(ReloadingSslContext.class);
    private static final byte[] PROBE = "postern key check".getBytes(StandardCharsets.US_ASCII);

    private final Path certificateFile;
    private final Path privateKeyFile;
    private final String[] protocols;
    private final List<String> ciphers;
    private final LongSupplier nanoClock;
    private volatile Loaded current;

    private ReloadingSslContext(Path certificateFile, Path privateKeyFile, String[] protocols, List<String> ciphers,
                                LongSupplier nanoClock, Loaded first) {
        this.certificateFile = certificateFile;
        this.privateKeyFile = privateKeyFile;
        this.protocols = protocols.clone();
        this.ciphers = List.copyOf(ciphers);
        this.nanoClock = nanoClock;
        this.current = first;
    }

    /** Loads the pair now; a pair that cannot be used is an error at start, as before. */
    static ReloadingSslContext load(Path certificateFile, Path privateKeyFile, String[] protocols, List<String> ciphers,
                                    LongSupplier nanoClock) throws SSLException {
        Stamp stamp = Stamp.of(certificateFile, privateKeyFile);
        Loaded first = build(certificateFile, privateKeyFile, protocols, ciphers, stamp, nanoClock.getAsLong());
        return new ReloadingSslContext(certificateFile, privateKeyFile, protocols, ciphers, nanoClock, first);
    }

    /** With the default cipher suites. */
    static ReloadingSslContext load(Path certificateFile, Path privateKeyFile, String[] protocols, LongSupplier nanoClock)
            throws SSLException {
        return load(certificateFile, privateKeyFile, protocols, io.postern.config.TlsConfig.DEFAULT_CIPHERS, nanoClock);
    }

    /** The certificate new handshakes present now (after a check if one is due). */
    X509Certificate certificate() {
        return fresh().certificate();
    }

    Path certificateFile() {
        return certificateFile;
    }

    /** Seconds from {@code now} until the current certificate's notAfter; negative once expired. */
    double secondsLeft(java.time.Instant now) {
        return Duration.between(now, certificate().getNotAfter().toInstant()).toSeconds();
    }

    private Loaded fresh() {
        Loaded loaded = current;
        long now = nanoClock.getAsLong();
        if (now - loaded.checkedAt() < CHECK_EVERY.toNanos()) {
            return loaded;
        }
        synchronized (this) {
            loaded = current;
            if (now - loaded.checkedAt() < CHECK_EVERY.toNanos()) {
                return loaded;
            }
            Stamp stamp = Stamp.of(certificateFile, privateKeyFile);
            if (stamp.equals(loaded.stamp()) || stamp.equals(loaded.rejected())) {
                current = loaded.checked(now);
                return current;
            }
            try {
                current = build(certificateFile, privateKeyFile, protocols, ciphers, stamp, now);
                LogLine.event("tls-reloaded").add("certificate", certificateFile)
                        .add("subject", current.certificate().getSubjectX500Principal().getName())
                        .add("not_after", current.certificate().getNotAfter().toInstant()).info(LOG);
            } catch (SSLException e) {
                LogLine.event("tls-reload-failed").add("certificate", certificateFile).add("error", e.getMessage())
                        .add("action", "keep-previous").warn(LOG);
                current = loaded.rejecting(stamp, now);
            }
            return current;
        }
    }

    private static Loaded build(Path certificateFile, Path privateKeyFile, String[] protocols, List<String> ciphers,
                                Stamp stamp, long now) throws SSLException {
        try {
            X509Certificate[] chain = toX509Certificates(certificateFile.toFile());
            if (chain.length == 0) {
                throw new SSLException("no certificate in " + certificateFile);
            }
            PrivateKey key = toPrivateKey(privateKeyFile.toFile(), null);
            if (!belongsTogether(key, chain[0].getPublicKey())) {
                throw new SSLException("the key in " + privateKeyFile + " does not belong to the certificate in "
                        + certificateFile);
            }
            SslContext context = TlsContexts.configure(SslContextBuilder.forServer(key, chain), protocols, ciphers).build();
            return new Loaded(context, chain[0], stamp, null, now);
        } catch (SSLException e) {
            throw e;
        } catch (IOException | GeneralSecurityException | RuntimeException e) {
            throw new SSLException("cannot load certificate " + certificateFile + " with key " + privateKeyFile + ": "
                    + e.getMessage(), e);
        }
    }

    /** Signs a probe with the private key and verifies it with the certificate's public key. */
    private static boolean belongsTogether(PrivateKey key, PublicKey publicKey) throws GeneralSecurityException {
        String algorithm = switch (key.getAlgorithm()) {
            case "RSA" -> "SHA256withRSA";
            case "EC" -> "SHA256withECDSA";
            case "Ed25519", "EdDSA" -> "Ed25519";
            case "Ed448" -> "Ed448";
            default -> null;
        };
        if (!key.getAlgorithm().equals(publicKey.getAlgorithm())) {
            return false;
        }
        if (algorithm == null) {
            return true; // a key type we cannot test: the handshake will tell
        }
        Signature signer = Signature.getInstance(algorithm);
        signer.initSign(key);
        signer.update(PROBE);
        byte[] signature = signer.sign();
        Signature verifier = Signature.getInstance(algorithm);
        verifier.initVerify(publicKey);
        verifier.update(PROBE);
        return verifier.verify(signature);
    }

    @Override
    public boolean isClient() {
        return false;
    }

    @Override
    public List<String> cipherSuites() {
        return fresh().context().cipherSuites();
    }

    @Override
    @SuppressWarnings("deprecation")
    public ApplicationProtocolNegotiator applicationProtocolNegotiator() {
        return fresh().context().applicationProtocolNegotiator();
    }

    @Override
    public SSLEngine newEngine(ByteBufAllocator alloc) {
        return fresh().context().newEngine(alloc);
    }

    @Override
    public SSLEngine newEngine(ByteBufAllocator alloc, String peerHost, int peerPort) {
        return fresh().context().newEngine(alloc, peerHost, peerPort);
    }

    @Override
    public SSLSessionContext sessionContext() {
        return fresh().context().sessionContext();
    }

    /** What identifies one version of the two files: where the path leads (Kubernetes swaps a symlink), size, time. */
    record Stamp(String certificate, String key) {
        static Stamp of(Path certificateFile, Path privateKeyFile) {
            return new Stamp(describe(certificateFile), describe(privateKeyFile));
        }

        private static String describe(Path file) {
            try {
                return file.toRealPath() + "|" + Files.size(file) + "|" + Files.getLastModifiedTime(file).toMillis();
            } catch (IOException e) {
                return "unreadable:" + e.getClass().getSimpleName();
            }
        }
    }

    /** The pair in service, and a changed pair that was refused (not retried until the files change again). */
    private record Loaded(SslContext context, X509Certificate certificate, Stamp stamp, Stamp rejected, long checkedAt) {
        Loaded {
            Objects.requireNonNull(context);
        }

        Loaded checked(long now) {
            return new Loaded(context, certificate, stamp, rejected, now);
        }

        Loaded rejecting(Stamp refused, long now) {
            return new Loaded(context, certificate, stamp, refused, now);
        }
    }
}
