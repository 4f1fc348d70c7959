package io.postern.it.servers;

import io.postern.it.support.ExternalProcess;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * A throw-away CA and a server certificate it signs, made with the openssl command: for servers
 * that tests start with TLS. The server certificate names {@code localhost} and {@code 127.0.0.1}
 * (and optionally more addresses) in its subjectAltName. Immutable.
 */
public record TestCertificates(Path caCertificate, Path certificate, Path privateKey) {

    public static TestCertificates create(Path dir, String... extraIps) throws IOException, InterruptedException {
        Files.createDirectories(dir);
        StringBuilder san = new StringBuilder("subjectAltName=DNS:localhost,IP:127.0.0.1");
        for (String ip : extraIps) {
            san.append(",IP:").append(ip);
        }
        Files.writeString(dir.resolve("san.ext"), san + "\n");
        Duration t = Duration.ofSeconds(30);
        run(dir, t, List.of("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out",
                "ca.pem", "-days", "2", "-subj", "/CN=Postern Test CA"));
        run(dir, t, List.of("openssl", "req", "-newkey", "rsa:2048", "-nodes", "-keyout", "server.key", "-out",
                "server.csr", "-subj", "/CN=localhost"));
        run(dir, t, List.of("openssl", "x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key",
                "-CAcreateserial", "-out", "server.pem", "-days", "2", "-extfile", "san.ext"));
        return new TestCertificates(dir.resolve("ca.pem"), dir.resolve("server.pem"), dir.resolve("server.key"));
    }

    private static void run(Path dir, Duration timeout, List<String> command) throws IOException, InterruptedException {
        ExternalProcess.Result result = ExternalProcess.run(dir, timeout, command);
        if (result.exitCode() != 0) {
            throw new IllegalStateException(String.join(" ", command) + " failed: " + result.output());
        }
    }
}
