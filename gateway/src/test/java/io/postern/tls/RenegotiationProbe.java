package io.postern.tls;

import io.postern.config.TlsConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import javax.net.ssl.SSLSocket;

/**
 * Run in a fresh JVM by {@link TlsPolicyTest}: the JDK reads its renegotiation switch once per
 * process, at the first server handshake, so only a new process shows what a node does. Serves
 * with {@link TlsContexts}, then a TLS 1.2 client handshakes, asks for a second handshake and
 * sends a line; prints {@code RENEGOTIATED} if the echo comes back, {@code REFUSED ...} if not.
 */
public final class RenegotiationProbe {
    private RenegotiationProbe() {
    }

    public static void main(String[] args) throws Exception {
        Path dir = Files.createTempDirectory("postern-renegotiation");
        try (TlsEchoServer server = new TlsEchoServer(dir, TlsConfig.DEFAULT_PROTOCOLS, TlsConfig.DEFAULT_CIPHERS);
             SSLSocket client = server.client("TLSv1.2", "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256")) {
            client.startHandshake();
            System.out.println("FIRST " + TlsEchoServer.echo(client, "one"));
            client.startHandshake(); // on TLS 1.2 the JDK client sends a new ClientHello: a renegotiation
            String echoed;
            try {
                echoed = TlsEchoServer.echo(client, "two");
            } catch (Exception e) {
                System.out.println("REFUSED " + e);
                return;
            }
            System.out.println(echoed == null ? "REFUSED closed" : "RENEGOTIATED " + echoed);
        }
    }
}
