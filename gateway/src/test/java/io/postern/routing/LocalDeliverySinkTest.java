package io.postern.routing;

import static io.postern.testing.MapDirectory.addr;
import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.postern.config.DeliveryConfig;
import io.postern.config.SpoolConfig;
import io.postern.config.SpoolFormat;
import io.postern.delivery.LocalDelivery;
import io.postern.directory.Recipient;
import io.postern.mail.Acceptance;
import io.postern.mail.EnhancedStatus;
import io.postern.mail.Envelope;
import io.postern.mail.EnvelopeRecipient;
import io.postern.mail.IncomingMessage;
import io.postern.mail.RecipientOutcome;
import io.postern.testing.MapDirectory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import io.postern.testing.LogCapture;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LocalDeliverySinkTest {
    private static final int THRESHOLD = 4096;

    @TempDir
    Path base;

    private final MapDirectory dir = new MapDirectory("example.test").mailboxes("alice@example.test", "bob@example.test");
    private RoutingDeliveryAgent agent;
    private LocalDeliverySink sink;

    @BeforeEach
    void start() {
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        LocalDelivery mda = new LocalDelivery(new SpoolConfig(base.resolve("spool"), SpoolFormat.MAILDIR,
                "{domain}/{localpart}"), "node-a", registry);
        DeliveryConfig config = new DeliveryConfig(10, 1000, 2, base.resolve("tmp"), THRESHOLD);
        agent = new RoutingDeliveryAgent(dir, mda, Optional.empty(), config, registry);
        sink = new LocalDeliverySink(agent, config);
    }

    @AfterEach
    void stop() {
        sink.close();
        agent.close();
    }

    private static Envelope envelope(String... recipients) {
        return new Envelope(Optional.of(addr("sender@remote.test")),
                Stream.of(recipients).map(r -> EnvelopeRecipient.of(addr(r))).toList(), Envelope.BodyType.SEVEN_BIT,
                false, Optional.empty(), Optional.empty(), new Envelope.SessionTrace("127.0.0.1", "localhost", "front-1",
                "LMTP", Optional.empty(), Optional.empty(), Instant.now()));
    }

    @Test
    void deliversEachRecipientAndAnswersInEnvelopeOrder() throws Exception {
        dir.put(new Recipient.Mailbox(addr("full@example.test"), "uid=full", Optional.empty(), OptionalLong.of(10), false));
        dir.put(new Recipient.Alias(addr("loop@example.test"), List.of(addr("loop@example.test"))));
        IncomingMessage message = sink.open(envelope("alice@example.test", "full@example.test", "bob@example.test",
                "nobody@example.test", "loop@example.test"));
        byte[] content = ("Subject: chunks\r\n\r\n" + "0123456789".repeat(10_000) + "\r\n").getBytes(StandardCharsets.US_ASCII);
        for (int i = 0; i < content.length; i += 4096) {
            message.write(content, i, Math.min(4096, content.length - i));
        }

        Acceptance acceptance;
        List<String> deliveredLines;
        try (LogCapture logs = LogCapture.of(LocalDeliverySink.class)) {
            acceptance = message.commit().get(10, TimeUnit.SECONDS);
            deliveredLines = logs.events("lmtp-delivered");
        }

        // No queue here, so no event=delivery line: the sink names each recipient it wrote, and only those.
        assertThat(deliveredLines).hasSize(2);
        assertThat(deliveredLines.get(0)).contains("rcpt=alice@example.test");
        assertThat(deliveredLines.get(1)).contains("rcpt=bob@example.test");
        assertThat(acceptance.outcomes()).hasSize(5);
        assertThat(acceptance.outcomes().get(0)).isEqualTo(Acceptance.DELIVERED);
        assertThat(acceptance.outcomes().get(1)).isInstanceOfSatisfying(RecipientOutcome.Failed.class, p -> {
            assertThat(p.replyCode()).isEqualTo(552);
            assertThat(p.status()).isEqualTo(EnhancedStatus.of("5.2.2"));
        });
        assertThat(acceptance.outcomes().get(2)).isEqualTo(Acceptance.DELIVERED);
        assertThat(acceptance.outcomes().get(3)).isInstanceOfSatisfying(RecipientOutcome.Failed.class,
                p -> assertThat(p.replyCode()).isEqualTo(550));
        assertThat(acceptance.outcomes().get(4)).isInstanceOfSatisfying(RecipientOutcome.Failed.class,
                p -> assertThat(p.status()).isEqualTo(EnhancedStatus.of("5.4.6")));
        for (String user : List.of("alice", "bob")) {
            try (Stream<Path> files = Files.list(base.resolve("spool/example.test").resolve(user).resolve("new"))) {
                Path file = files.findFirst().orElseThrow();
                byte[] stored = Files.readAllBytes(file);
                String headers = "Return-Path: <sender@remote.test>\r\nDelivered-To: " + user + "@example.test\r\n";
                assertThat(new String(stored, 0, headers.length(), StandardCharsets.US_ASCII)).isEqualTo(headers);
                assertThat(stored).hasSize(headers.length() + content.length);
            }
        }
        assertThat(base.resolve("tmp")).isEmptyDirectory();
    }

    @Test
    void anUnreachableDirectoryIsATemporaryFailure() throws Exception {
        dir.down(true);
        IncomingMessage message = sink.open(envelope("alice@example.test"));
        message.write("x\r\n".getBytes(StandardCharsets.US_ASCII), 0, 3);
        Acceptance acceptance = message.commit().get(10, TimeUnit.SECONDS);
        assertThat(acceptance.outcomes()).containsExactly(new RecipientOutcome.Deferred(451, EnhancedStatus.of("4.4.3"),
                "alice@example.test: directory unavailable"));
    }

    @Test
    void anUnsafeSpoolPathIsAPermanentFailure() throws Exception {
        dir.put(new Recipient.Mailbox(addr("evil@example.test"), "uid=evil", Optional.of("../../etc"), OptionalLong.empty(),
                false));
        IncomingMessage message = sink.open(envelope("evil@example.test", "alice@example.test"));
        message.write("x\r\n".getBytes(StandardCharsets.US_ASCII), 0, 3);
        Acceptance acceptance = message.commit().get(10, TimeUnit.SECONDS);
        assertThat(acceptance.outcomes().get(0)).isInstanceOfSatisfying(RecipientOutcome.Failed.class,
                p -> assertThat(p.status()).isEqualTo(EnhancedStatus.of("5.3.0")));
        assertThat(acceptance.outcomes().get(1)).isEqualTo(Acceptance.DELIVERED);
    }

    @Test
    void abortDeletesTheTemporaryFileAndDeliversNothing() throws Exception {
        IncomingMessage message = sink.open(envelope("alice@example.test"));
        byte[] big = new byte[THRESHOLD + 1];
        message.write(big, 0, big.length);
        assertThat(base.resolve("tmp")).isNotEmptyDirectory();
        message.abort();
        message.abort();
        assertThat(base.resolve("tmp")).isEmptyDirectory();
        assertThat(base.resolve("spool/example.test/alice")).doesNotExist();
    }

    @Test
    void contentStaysInMemoryUpToTheThresholdAndSpillsToAFileBeyondIt() throws Exception {
        byte[] exactly = ("Subject: s\r\n\r\n" + "x".repeat(THRESHOLD - 16) + "\r\n").getBytes(StandardCharsets.US_ASCII);
        assertThat(exactly).hasSize(THRESHOLD);
        IncomingMessage small = sink.open(envelope("alice@example.test"));
        small.write(exactly, 0, exactly.length);
        assertThat(base.resolve("tmp")).doesNotExist();
        assertThat(small.commit().get(10, TimeUnit.SECONDS).outcomes()).containsExactly(Acceptance.DELIVERED);

        IncomingMessage big = sink.open(envelope("bob@example.test"));
        big.write(exactly, 0, exactly.length);
        big.write(new byte[] {'!'}, 0, 1);
        try (Stream<Path> files = Files.list(base.resolve("tmp"))) {
            assertThat(files.toList()).hasSize(1); // spilled: memory holds no more than the threshold
        }
        assertThat(big.commit().get(10, TimeUnit.SECONDS).outcomes()).containsExactly(Acceptance.DELIVERED);
        assertThat(base.resolve("tmp")).isEmptyDirectory();
        try (Stream<Path> files = Files.list(base.resolve("spool/example.test/bob/new"))) {
            byte[] stored = Files.readAllBytes(files.findFirst().orElseThrow());
            assertThat(new String(stored, StandardCharsets.US_ASCII)).endsWith("x\r\n!");
        }
    }
}
