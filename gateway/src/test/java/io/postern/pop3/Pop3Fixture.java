package io.postern.pop3;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.postern.config.AuthConfig;
import io.postern.config.ListenerConfig;
import io.postern.config.ListenerKind;
import io.postern.config.Pop3Config;
import io.postern.config.SpoolFormat;
import io.postern.config.TlsMode;
import io.postern.mailbox.MailboxStore;
import io.postern.mailbox.SpoolLayout;
import io.postern.server.ListenerSet;
import io.postern.server.ProtocolInitializer;
import io.postern.net.Transport;
import io.postern.testing.MapDirectory;
import io.postern.tls.SelfSignedCertificates;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;

/** A POP3 listener on a free loopback port over spools in a temporary folder, as the server wires it. */
final class Pop3Fixture implements AutoCloseable {
    final Path spoolRoot;
    final MapDirectory directory;
    final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    final Pop3Services services;
    private final ListenerSet listeners;
    final int port;

    static Pop3Fixture start(Path dir, TlsMode tls, AuthConfig auth, Pop3Config config, SpoolFormat format)
            throws Exception {
        return new Pop3Fixture(dir, tls, auth, config, format);
    }

    static Pop3Fixture start(Path dir) throws Exception {
        return start(dir, TlsMode.STARTTLS, loopbackPlaintext(), Pop3Config.defaults(), SpoolFormat.MAILDIR);
    }

    static AuthConfig loopbackPlaintext() {
        return new AuthConfig(false, true, 5, Duration.ofMinutes(5));
    }

    private Pop3Fixture(Path dir, TlsMode tls, AuthConfig auth, Pop3Config config, SpoolFormat format)
            throws Exception {
        this.spoolRoot = dir.resolve("spool");
        Files.createDirectories(spoolRoot);
        this.directory = new MapDirectory()
                .add("alice@example.test", "alice-pw", false, Optional.empty(), "alice", "alice@corp.example.test")
                .add("bob@example.test", "bob-pw", true, Optional.empty(), "bob")
                .add("carol@example.test", "carol-pw", false, Optional.of("special/carol-box"), "carol")
                .add("evil@example.test", "evil-pw", false, Optional.of("../../etc"), "evil");
        SslContext ssl = serverTls();
        MailboxStore store = new MailboxStore(new SpoolLayout(spoolRoot, "{domain}/{localpart}"), format,
                "node-a", config.lockLease(), Clock.systemUTC());
        this.services = new Pop3Services("mail.example.test", config, auth, directory, store, Optional.of(ssl),
                registry);
        this.listeners = new ListenerSet(Transport.best(), 2, registry);
        ListenerConfig listener = new ListenerConfig("pop3", ListenerKind.POP3, "127.0.0.1", 0, tls);
        ProtocolInitializer pop3 = (l, channel, pipeline) -> Pop3Pipeline.configure(pipeline, l, services);
        listeners.bind(listener, Map.of(ListenerKind.POP3, pop3));
        this.port = listeners.bound().getFirst().port();
    }

    private static SslContext sharedTls;

    /** One self-signed certificate per test JVM (key generation is slow). */
    static synchronized SslContext serverTls() throws Exception {
        if (sharedTls == null) {
            Path dir = Files.createTempDirectory("pop3-tls");
            SelfSignedCertificates.Files cert = SelfSignedCertificates.ensure(dir, "mail.example.test");
            sharedTls = SslContextBuilder.forServer(cert.certificate().toFile(), cert.privateKey().toFile()).build();
        }
        return sharedTls;
    }

    /** A client socket factory that trusts the test certificate (any certificate: loopback tests only). */
    static javax.net.ssl.SSLSocketFactory trustingClient() throws Exception {
        javax.net.ssl.SSLContext context = javax.net.ssl.SSLContext.getInstance("TLS");
        context.init(null, new javax.net.ssl.TrustManager[] {new javax.net.ssl.X509TrustManager() {
            @Override
            public void checkClientTrusted(java.security.cert.X509Certificate[] chain, String authType) {
            }

            @Override
            public void checkServerTrusted(java.security.cert.X509Certificate[] chain, String authType) {
            }

            @Override
            public java.security.cert.X509Certificate[] getAcceptedIssuers() {
                return new java.security.cert.X509Certificate[0];
            }
        }}, null);
        return context.getSocketFactory();
    }

    /** alice's Maildir. */
    Path maildir() {
        return spoolRoot.resolve("example.test").resolve("alice");
    }

    /** Delivers a message into alice's {@code new/} under {@code base} (CRLF text given with \n). */
    Path deliver(String base, String text) throws Exception {
        return deliverTo(maildir(), base, text);
    }

    static Path deliverTo(Path maildir, String base, String text) throws Exception {
        for (String sub : new String[] {"new", "cur", "tmp"}) {
            Files.createDirectories(maildir.resolve(sub));
        }
        byte[] bytes = text.replace("\n", "\r\n").getBytes(StandardCharsets.UTF_8);
        Path file = maildir.resolve("new").resolve(base + ",S=" + bytes.length);
        Files.write(file, bytes);
        return file;
    }

    double counter(String name, String tag, String value) {
        var counter = registry.find(name).tag(tag, value).counter();
        return counter == null ? 0 : counter.count();
    }

    @Override
    public void close() {
        listeners.stop(Duration.ZERO);
        services.close();
    }
}
