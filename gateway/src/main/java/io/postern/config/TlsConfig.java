package io.postern.config;

import java.nio.file.Path;
import java.security.NoSuchAlgorithmException;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import javax.net.ssl.SSLContext;

/**
 * The server certificate and what TLS the listeners speak. Either PEM files
 * ({@code certificateFile}, {@code privateKeyFile}, re-read when they change so that a renewed
 * certificate needs no restart), or {@code selfSigned: true}, which creates a key and certificate
 * under {@code selfSignedDirectory} on first start (demo only). {@code protocols} and
 * {@code ciphers} default to an intermediate-compatibility profile: TLS 1.3, and TLS 1.2 with
 * ECDHE key exchange and AEAD ciphers only (no CBC, no SHA-1 MAC, no static RSA). Immutable.
 */
public record TlsConfig(Optional<Path> certificateFile, Optional<Path> privateKeyFile, boolean selfSigned,
                        Path selfSignedDirectory, List<String> protocols, List<String> ciphers) {
    public static final List<String> DEFAULT_PROTOCOLS = List.of("TLSv1.3", "TLSv1.2");
    /** Mozilla's intermediate profile without the DHE suites, in order of preference. */
    public static final List<String> DEFAULT_CIPHERS = List.of(
            "TLS_AES_128_GCM_SHA256", "TLS_AES_256_GCM_SHA384", "TLS_CHACHA20_POLY1305_SHA256",
            "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256", "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
            "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384", "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384",
            "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256", "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256");
    private static final Set<String> ALLOWED_PROTOCOLS = Set.of("TLSv1.3", "TLSv1.2");

    public TlsConfig {
        protocols = List.copyOf(protocols);
        ciphers = List.copyOf(ciphers);
    }

    /** Files or self-signed with the default protocols and ciphers. */
    public TlsConfig(Optional<Path> certificateFile, Optional<Path> privateKeyFile, boolean selfSigned,
                     Path selfSignedDirectory) {
        this(certificateFile, privateKeyFile, selfSigned, selfSignedDirectory, DEFAULT_PROTOCOLS, DEFAULT_CIPHERS);
    }

    public boolean configured() {
        return selfSigned || certificateFile.isPresent();
    }

    static TlsConfig from(ConfigNode node, Path base) {
        Optional<Path> cert = node.optionalString("certificateFile").map(base::resolve);
        Optional<Path> key = node.optionalString("privateKeyFile").map(base::resolve);
        boolean selfSigned = node.bool("selfSigned", false);
        Path dir = base.resolve(node.string("selfSignedDirectory", "var/tls"));
        if (cert.isPresent() != key.isPresent()) {
            node.error(cert.isPresent() ? "privateKeyFile" : "certificateFile",
                    "is required when " + (cert.isPresent() ? "certificateFile" : "privateKeyFile") + " is set");
        }
        if (selfSigned && cert.isPresent()) {
            node.error("selfSigned", "cannot be combined with certificateFile");
        }
        List<String> protocols = node.strings("protocols", DEFAULT_PROTOCOLS);
        for (String protocol : protocols) {
            if (!ALLOWED_PROTOCOLS.contains(protocol)) {
                node.error("protocols", "'" + protocol + "' is not one of TLSv1.3, TLSv1.2 (older versions are broken)");
            }
        }
        if (protocols.isEmpty()) {
            node.error("protocols", "needs at least one of TLSv1.3, TLSv1.2");
        }
        List<String> ciphers = node.strings("ciphers", DEFAULT_CIPHERS);
        Set<String> supported = supportedCiphers();
        for (String cipher : ciphers) {
            if (!supported.isEmpty() && !supported.contains(cipher)) {
                node.error("ciphers", "'" + cipher + "' is not a cipher suite this Java runtime supports"
                        + " (IANA names, like TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256)");
            }
        }
        if (protocols.contains("TLSv1.3") && ciphers.stream().noneMatch(TlsConfig::tls13)) {
            node.error("ciphers", "has no TLS 1.3 suite (TLS_AES_128_GCM_SHA256 ...) but protocols has TLSv1.3");
        }
        if (protocols.contains("TLSv1.2") && ciphers.stream().allMatch(TlsConfig::tls13)) {
            node.error("ciphers", "has no TLS 1.2 suite (TLS_ECDHE_...) but protocols has TLSv1.2");
        }
        return new TlsConfig(cert, key, selfSigned, dir, protocols, ciphers);
    }

    private static boolean tls13(String cipher) {
        return !cipher.contains("_WITH_");
    }

    private static Set<String> supportedCiphers() {
        try {
            return Set.of(SSLContext.getDefault().getSupportedSSLParameters().getCipherSuites());
        } catch (NoSuchAlgorithmException e) {
            return Set.of(); // no default context: the TLS context build reports the problem
        }
    }
}
