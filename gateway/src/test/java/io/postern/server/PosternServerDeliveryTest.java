package io.postern.server;

import static org.assertj.core.api.Assertions.assertThat;

import io.postern.config.ConfigLoader;
import io.postern.config.PosternConfig;
import io.postern.config.SecretResolver;
import io.postern.mail.Acceptance;
import io.postern.mail.Envelope;
import io.postern.mail.EnvelopeRecipient;
import io.postern.mail.IncomingMessage;
import io.postern.testing.MapDirectory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PosternServerDeliveryTest {
    @TempDir
    Path base;

    private PosternConfig config(String role) throws java.io.IOException {
        int port;
        try (java.net.ServerSocket free = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            port = free.getLocalPort();
        }
        String yaml = """
                node: { hostname: node-1.example.test, role: %s, drainTimeout: 0s }
                listeners:
                  - { name: lmtp, kind: lmtp, address: 127.0.0.1, port: %d }
                admin: { enabled: false }
                directory: { urls: ["ldap://127.0.0.1:1"], baseDn: "dc=example,dc=test" }
                domains: [example.test]
                spool: { root: spool }
                delivery: { tempDirectory: lmtp-tmp }
                """.formatted(role, port);
        return new ConfigLoader(new SecretResolver(Map.of())).parse(yaml, base, "test.yaml");
    }

    @Test
    void theDeliveryRoleWithADirectoryWritesSpoolsThroughItsSink() throws Exception {
        MapDirectory directory = new MapDirectory("example.test").mailboxes("alice@example.test");
        try (PosternServer server = PosternServer.start(config("delivery"), Optional.of(directory))) {
                        IncomingMessage message = server.localDeliverySink().open(new Envelope(
                    Optional.empty(), List.of(EnvelopeRecipient.of(MapDirectory.addr("alice@example.test"))),
                    Envelope.BodyType.SEVEN_BIT, false, Optional.empty(), Optional.empty(),
                    new Envelope.SessionTrace("127.0.0.1", "localhost", "front", "LMTP", Optional.empty(),
                            Optional.empty(), Instant.now())));
            byte[] content = "Subject: wired\r\n\r\nok\r\n".getBytes(StandardCharsets.US_ASCII);
            message.write(content, 0, content.length);
            assertThat(message.commit().get(10, TimeUnit.SECONDS).outcomes())
                    .containsExactly(Acceptance.DELIVERED);
        }
        try (Stream<Path> files = Files.list(base.resolve("spool/example.test/alice/new"))) {
            Path file = files.findFirst().orElseThrow();
            assertThat(file.getFileName().toString()).contains(".node-1.example.test,S=");
            assertThat(Files.readString(file)).isEqualTo(
                    "Return-Path: <>\r\nDelivered-To: alice@example.test\r\nSubject: wired\r\n\r\nok\r\n");
        }
    }

    @Test
    void theDeliveryRoleKeepsNoQueueAndTheFrontRoleDoes() throws Exception {
        MapDirectory directory = new MapDirectory("example.test");
        try (PosternServer server = PosternServer.start(config("delivery"), Optional.of(directory))) {
            assertThat(server.queue()).isEmpty();
        }
        try (PosternServer server = PosternServer.start(config("front"), Optional.of(directory))) {
            assertThat(server.queue()).isPresent();
        }
    }
}
