package io.postern.it.pop3;

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
import io.postern.pop3.Pop3Pipeline;
import io.postern.pop3.Pop3Services;
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

/**
 * One Postern POP3 node for integration tests: the real pipeline on 127.0.0.1 (free port) over a
 * spool root, logins from a {@link MapDirectory} with alice (alice-pw) and bob (bob-pw). Run
 * in-process, or as its own JVM through {@link #main} (prints {@code READY <port>}, stops when
 * stdin closes) to act as a second cluster node.
 */
public final class Pop3Node implements AutoCloseable {
    private final Pop3Services services;
    private final ListenerSet listeners;
    private final int port;

    public Pop3Node(Path spoolRoot, String node, TlsMode tls, AuthConfig auth, Duration lease, Path tlsDir)
            throws Exception {
        this(spoolRoot, node, tls, auth, lease, tlsDir, new MapDirectory()
                .add("alice@example.test", "alice-pw", false, Optional.empty(), "alice")
                .add("bob@example.test", "bob-pw", false, Optional.empty(), "bob"));
    }

    public Pop3Node(Path spoolRoot, String node, TlsMode tls, AuthConfig auth, Duration lease, Path tlsDir,
                    MapDirectory directory) throws Exception {
        SelfSignedCertificates.Files cert = SelfSignedCertificates.ensure(tlsDir, "mail.example.test");
        SslContext ssl = SslContextBuilder.forServer(cert.certificate().toFile(), cert.privateKey().toFile()).build();
        Pop3Config defaults = Pop3Config.defaults();
        Pop3Config config = new Pop3Config(defaults.idleTimeout(), defaults.maxConnections(), 1000, lease,
                defaults.maxLineLength(), defaults.maxBadCommands(), defaults.maxPipelinedCommands());
        MailboxStore store = new MailboxStore(new SpoolLayout(spoolRoot, "{domain}/{localpart}"), SpoolFormat.MAILDIR,
                node, lease, Clock.systemUTC());
        services = new Pop3Services(node, config, auth, directory, store, Optional.of(ssl), new SimpleMeterRegistry());
        listeners = new ListenerSet(Transport.best(), 2, new SimpleMeterRegistry());
        ProtocolInitializer pop3 = (l, channel, pipeline) -> Pop3Pipeline.configure(pipeline, l, services);
        listeners.bind(new ListenerConfig("pop3", ListenerKind.POP3, "127.0.0.1", 0, tls),
                Map.of(ListenerKind.POP3, pop3));
        port = listeners.bound().getFirst().port();
    }

    public static Pop3Node plain(Path spoolRoot, String node, Path tlsDir) throws Exception {
        return new Pop3Node(spoolRoot, node, TlsMode.NONE, new AuthConfig(false, true, 100, Duration.ofMinutes(5)),
                Duration.ofMinutes(2), tlsDir);
    }

    public int port() {
        return port;
    }

    public Pop3Services services() {
        return services;
    }

    /** Writes a CRLF message into {@code <maildir>/new} with a {@code ,S=} size, as delivery does. */
    public static Path deliver(Path maildir, String base, String text) throws Exception {
        for (String sub : new String[] {"new", "cur", "tmp"}) {
            Files.createDirectories(maildir.resolve(sub));
        }
        byte[] bytes = text.replace("\r\n", "\n").replace("\n", "\r\n").getBytes(StandardCharsets.UTF_8);
        Path file = maildir.resolve("new").resolve(base + ",S=" + bytes.length);
        Files.write(file, bytes);
        return file;
    }

    @Override
    public void close() {
        listeners.stop(Duration.ZERO);
        services.close();
    }

    /** {@code Pop3Node <spoolRoot> <nodeName> <leaseMillis> <tlsDir>}. */
    public static void main(String[] args) throws Exception {
        try (Pop3Node node = new Pop3Node(Path.of(args[0]), args[1], TlsMode.NONE,
                new AuthConfig(false, true, 100, Duration.ofMinutes(5)), Duration.ofMillis(Long.parseLong(args[2])),
                Path.of(args[3]))) {
            System.out.println("READY " + node.port());
            System.out.flush();
            while (System.in.read() >= 0) {
                // Runs until the parent closes stdin or kills the process.
            }
        }
    }
}
