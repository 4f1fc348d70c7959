package io.postern.it.smtp;

import io.postern.config.ConfigLoader;
import io.postern.config.ListenerKind;
import io.postern.config.PosternConfig;
import io.postern.config.SecretResolver;
import io.postern.it.support.Ports;
import io.postern.mail.Acceptance;
import io.postern.mail.Envelope;
import io.postern.mail.IncomingMessage;
import io.postern.mail.MessageSink;
import io.postern.mail.SinkException;
import io.postern.server.PosternServer;
import io.postern.testing.MapDirectory;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A Postern node started in process through {@link PosternServer#start(PosternConfig, PosternServer.Parts)}
 * with an MX listener (STARTTLS) and a submission listener (STARTTLS) on free loopback ports, a
 * directory that knows example.com (alice / secret, bob) and a sink that writes each accepted
 * message to a file (fsync, atomic move). Close it.
 */
final class SmtpItNode implements AutoCloseable {
    final PosternServer server;
    final int mxPort;
    final int submissionPort;
    final Path spool;
    final List<Envelope> envelopes = new CopyOnWriteArrayList<>();
    private final AtomicInteger ids = new AtomicInteger();

    SmtpItNode(Path dir, String extraYaml) throws Exception {
        this(dir, extraYaml, "");
    }

    /** {@code mxListenerKeys} are added to the MX listener's mapping (", key: value" each). */
    SmtpItNode(Path dir, String extraYaml, String mxListenerKeys) throws Exception {
        spool = Files.createDirectories(dir.resolve("accepted"));
        Files.createDirectories(dir.resolve("tmp"));
        mxPort = Ports.free();
        submissionPort = Ports.free();
        String yaml = "node: {hostname: mx.example.com}\n"
                + "listeners:\n"
                + "  - {kind: mx, address: 127.0.0.1, port: " + mxPort + ", tls: starttls" + mxListenerKeys + "}\n"
                + "  - {kind: submission, address: 127.0.0.1, port: " + submissionPort + ", tls: starttls}\n"
                + "admin: {enabled: false}\n"
                + "tls: {selfSigned: true, selfSignedDirectory: " + dir.resolve("tls") + "}\n"
                + "directory: {urls: ['ldap://127.0.0.1:1'], baseDn: 'dc=example,dc=com'}\n"
                + "domains: [example.com]\n"
                + extraYaml;
        PosternConfig config = new ConfigLoader(new SecretResolver(Map.of())).parse(yaml, dir, "it.yaml");
        server = PosternServer.start(config, new PosternServer.Parts(Optional.of(new MapDirectory("example.com").withoutSubaddressing()
                .add("alice@example.com", "secret", false, Optional.empty(), "alice")
                .mailbox("bob@example.com", false)),
                Optional.of(sink(dir))));
        if (server.boundListeners().stream().noneMatch(b -> b.config().kind() == ListenerKind.MX)) {
            throw new IllegalStateException("MX listener not bound");
        }
    }

    List<Path> accepted() throws IOException {
        try (var files = Files.list(spool)) {
            return files.sorted().toList();
        }
    }

    private MessageSink sink(Path dir) {
        return envelope -> {
            String id = "IT" + ids.incrementAndGet();
            Path tmp = dir.resolve("tmp").resolve(id);
            OutputStream out;
            try {
                out = Files.newOutputStream(tmp);
            } catch (IOException e) {
                throw new SinkException(io.postern.mail.EnhancedStatus.STORAGE_TEMPORARY, "cannot create", e);
            }
            return new IncomingMessage() {
                @Override
                public void write(byte[] bytes, int offset, int length) throws SinkException {
                    try {
                        out.write(bytes, offset, length);
                    } catch (IOException e) {
                        throw new SinkException(io.postern.mail.EnhancedStatus.STORAGE_TEMPORARY, "write failed", e);
                    }
                }

                @Override
                public CompletableFuture<Acceptance> commit() {
                    return CompletableFuture.supplyAsync(() -> {
                        try {
                            out.close();
                            Files.move(tmp, spool.resolve(id), StandardCopyOption.ATOMIC_MOVE);
                        } catch (IOException e) {
                            throw new java.io.UncheckedIOException(e);
                        }
                        envelopes.add(envelope);
                        return new Acceptance(id, envelope.recipients().stream()
                                .map(r -> Acceptance.QUEUED)
                                .toList());
                    });
                }

                @Override
                public void abort() {
                    try {
                        out.close();
                        Files.deleteIfExists(tmp);
                    } catch (IOException ignored) {
                        // best effort: the test checks the accepted folder only
                    }
                }
            };
        };
    }

    @Override
    public void close() {
        server.close();
    }
}
