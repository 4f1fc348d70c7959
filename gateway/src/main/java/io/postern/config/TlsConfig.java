package io.postern.config;

import java.nio.file.Path;
import java.util.Optional;

/**
 * The server certificate. Either PEM files ({@code certificateFile}, {@code privateKeyFile}, re-read
 * when they change so that a renewed certificate needs no restart), or {@code selfSigned: true},
 * which creates a key and certificate under {@code selfSignedDirectory} on first start (demo only).
 */
public record TlsConfig(Optional<Path> certificateFile, Optional<Path> privateKeyFile, boolean selfSigned,
                        Path selfSignedDirectory) {

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
        return new TlsConfig(cert, key, selfSigned, dir);
    }
}
