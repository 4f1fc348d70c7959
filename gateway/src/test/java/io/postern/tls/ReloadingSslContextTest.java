package io.postern.tls;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.netty.buffer.ByteBufAllocator;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.cert.X509Certificate;
import java.util.concurrent.atomic.AtomicLong;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLEngineResult.HandshakeStatus;
import javax.net.ssl.SSLException;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509TrustManager;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A renewed certificate reaches new TLS handshakes without a restart; a broken renewal does not
 * take TLS down. Checked by real handshakes in memory, reading the certificate the client sees.
 */
class ReloadingSslContextTest {
    private static final String[] PROTOCOLS = {"TLSv1.3", "TLSv1.2"};

    @TempDir
    static Path keys;

    @TempDir
    Path temp;

    /** Two RSA pairs for all tests: key generation is the slow part. */
    private static Pair one;
    private static Pair two;

    private final AtomicLong clock = new AtomicLong();

    @BeforeAll
    static void makePairs() throws Exception {
        one = pair("one.test");
        two = pair("two.test");
    }

    @Test
    void aRenewedCertificateIsServedAfterTheCheckInterval() throws Exception {
        Path cert = temp.resolve("tls.crt");
        Path key = temp.resolve("tls.key");
        install(one, cert, key);
        ReloadingSslContext context = ReloadingSslContext.load(cert, key, PROTOCOLS, clock::get);
        assertThat(servedName(context)).contains("CN=one.test");

        install(two, cert, key);
        assertThat(servedName(context)).as("within the check interval").contains("CN=one.test");
        clock.addAndGet(ReloadingSslContext.CHECK_EVERY.toNanos());
        assertThat(servedName(context)).as("after the check interval").contains("CN=two.test");
    }

    @Test
    void aKeyThatDoesNotMatchKeepsThePreviousPairInService() throws Exception {
        Path cert = temp.resolve("tls.crt");
        Path key = temp.resolve("tls.key");
        install(one, cert, key);
        ReloadingSslContext context = ReloadingSslContext.load(cert, key, PROTOCOLS, clock::get);

        Files.copy(two.certificate(), cert, StandardCopyOption.REPLACE_EXISTING); // key not renewed yet
        Files.setLastModifiedTime(cert, java.nio.file.attribute.FileTime.fromMillis(System.currentTimeMillis() + 5000));
        clock.addAndGet(ReloadingSslContext.CHECK_EVERY.toNanos());
        assertThat(servedName(context)).contains("CN=one.test");

        Files.copy(two.privateKey(), key, StandardCopyOption.REPLACE_EXISTING);
        Files.setLastModifiedTime(key, java.nio.file.attribute.FileTime.fromMillis(System.currentTimeMillis() + 6000));
        clock.addAndGet(ReloadingSslContext.CHECK_EVERY.toNanos());
        assertThat(servedName(context)).as("once the pair is whole").contains("CN=two.test");
    }

    @Test
    void aPairThatDoesNotMatchIsRefusedAtStart() throws Exception {
        assertThatThrownBy(() -> ReloadingSslContext.load(one.certificate(), two.privateKey(), PROTOCOLS, clock::get))
                .isInstanceOf(SSLException.class).hasMessageContaining("does not belong");
    }

    private record Pair(Path certificate, Path privateKey) {
    }

    private static Pair pair(String hostname) throws Exception {
        SelfSignedCertificates.Files files = SelfSignedCertificates.ensure(keys.resolve(hostname), hostname);
        return new Pair(files.certificate(), files.privateKey());
    }

    /** Writes a pair the way the kubelet does: new files, then one atomic switch (here: moves). */
    private static void install(Pair pair, Path cert, Path key) throws Exception {
        long later = System.currentTimeMillis() + (Files.exists(cert) ? 10_000 : 0);
        for (Path[] copy : new Path[][] {{pair.certificate(), cert}, {pair.privateKey(), key}}) {
            Path staged = copy[1].resolveSibling(copy[1].getFileName() + ".new");
            Files.copy(copy[0], staged, StandardCopyOption.REPLACE_EXISTING);
            Files.setLastModifiedTime(staged, java.nio.file.attribute.FileTime.fromMillis(later));
            Files.move(staged, copy[1], StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        }
    }

    /** Runs a full handshake in memory and returns the subject of the certificate the client received. */
    private static String servedName(ReloadingSslContext context) throws Exception {
        SSLEngine server = context.newEngine(ByteBufAllocator.DEFAULT);
        SSLContext clientContext = SSLContext.getInstance("TLS");
        clientContext.init(null, new TrustManager[] {new AcceptAnything()}, null);
        SSLEngine client = clientContext.createSSLEngine("localhost", 25);
        client.setUseClientMode(true);
        ByteBuffer toServer = ByteBuffer.allocate(1 << 17);
        ByteBuffer toClient = ByteBuffer.allocate(1 << 17);
        ByteBuffer sink = ByteBuffer.allocate(1 << 17);
        client.beginHandshake();
        server.beginHandshake();
        for (int round = 0; round < 200 && !(done(client) && done(server)); round++) {
            step(client, toServer, toClient, sink);
            step(server, toClient, toServer, sink);
        }
        assertThat(done(client) && done(server)).as("handshake finished").isTrue();
        return ((X509Certificate) client.getSession().getPeerCertificates()[0]).getSubjectX500Principal().getName();
    }

    private static boolean done(SSLEngine engine) {
        HandshakeStatus status = engine.getHandshakeStatus();
        return status == HandshakeStatus.NOT_HANDSHAKING || status == HandshakeStatus.FINISHED;
    }

    private static void step(SSLEngine engine, ByteBuffer out, ByteBuffer in, ByteBuffer sink) throws SSLException {
        switch (engine.getHandshakeStatus()) {
            case NEED_WRAP -> engine.wrap(ByteBuffer.allocate(0), out);
            case NEED_UNWRAP, NEED_UNWRAP_AGAIN -> {
                in.flip();
                engine.unwrap(in, sink);
                in.compact();
            }
            case NEED_TASK -> {
                Runnable task;
                while ((task = engine.getDelegatedTask()) != null) {
                    task.run();
                }
            }
            default -> {
            }
        }
    }

    /** Test-only: the point is which certificate arrives, not whether it is trusted. */
    private static final class AcceptAnything implements X509TrustManager {
        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType) {
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType) {
        }

        @Override
        public X509Certificate[] getAcceptedIssuers() {
            return new X509Certificate[0];
        }
    }
}
