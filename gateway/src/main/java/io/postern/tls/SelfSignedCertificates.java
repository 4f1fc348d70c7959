package io.postern.tls;

import java.io.IOException;
import java.io.StringWriter;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * Creates a self-signed certificate for the demo on first start and reuses it afterwards, so a
 * client that pinned it keeps working. Written with BouncyCastle: the JDK has no public API
 * for certificate creation. The key file is readable by its owner only.
 */
public final class SelfSignedCertificates {
    private static final Duration VALIDITY = Duration.ofDays(825);

    private SelfSignedCertificates() {
    }

    public record Files(Path certificate, Path privateKey) {
    }

    public static Files ensure(Path directory, String hostname) throws IOException {
        Path cert = directory.resolve("demo-cert.pem");
        Path key = directory.resolve("demo-key.pem");
        if (java.nio.file.Files.exists(cert) && java.nio.file.Files.exists(key)) {
            return new Files(cert, key);
        }
        java.nio.file.Files.createDirectories(directory);
        try {
            KeyPairGenerator generator = KeyPairGenerator.getInstance("RSA");
            generator.initialize(2048, new SecureRandom());
            KeyPair pair = generator.generateKeyPair();
            X509Certificate certificate = sign(pair, hostname);
            writeAtomically(key, pem(pair.getPrivate()), true);
            writeAtomically(cert, pem(certificate), false);
        } catch (GeneralSecurityException | OperatorCreationException e) {
            throw new IOException("cannot create a self-signed certificate: " + e.getMessage(), e);
        }
        return new Files(cert, key);
    }

    private static X509Certificate sign(KeyPair pair, String hostname)
            throws GeneralSecurityException, OperatorCreationException, IOException {
        X500Name subject = new X500Name("CN=" + hostname + ",O=Postern demo");
        Instant now = Instant.now();
        var builder = new JcaX509v3CertificateBuilder(subject, new BigInteger(64, new SecureRandom()),
                Date.from(now.minus(Duration.ofDays(1))), Date.from(now.plus(VALIDITY)), subject, pair.getPublic());
        builder.addExtension(Extension.subjectAlternativeName, false, new GeneralNames(new GeneralName[] {
            new GeneralName(GeneralName.dNSName, hostname),
            new GeneralName(GeneralName.dNSName, "localhost"),
            new GeneralName(GeneralName.iPAddress, "127.0.0.1")
        }));
        var signer = new JcaContentSignerBuilder("SHA256withRSA").build(pair.getPrivate());
        return new JcaX509CertificateConverter().getCertificate(builder.build(signer));
    }

    private static String pem(Object value) throws IOException {
        StringWriter text = new StringWriter();
        try (JcaPEMWriter writer = new JcaPEMWriter(text)) {
            writer.writeObject(value);
        }
        return text.toString();
    }

    private static void writeAtomically(Path target, String content, boolean secret) throws IOException {
        Path temp = target.resolveSibling(target.getFileName() + ".tmp");
        java.nio.file.Files.writeString(temp, content, StandardCharsets.US_ASCII);
        if (secret) {
            java.nio.file.Files.setPosixFilePermissions(temp, PosixFilePermissions.fromString("rw-------"));
        }
        java.nio.file.Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }
}
