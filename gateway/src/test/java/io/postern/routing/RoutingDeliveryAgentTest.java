package io.postern.routing;

import static io.postern.testing.MapDirectory.addr;
import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.postern.config.DeliveryConfig;
import io.postern.config.SpoolConfig;
import io.postern.config.SpoolFormat;
import io.postern.delivery.FileContent;
import io.postern.delivery.LocalDelivery;
import io.postern.directory.Recipient;
import io.postern.mail.DeliveryAgent;
import io.postern.mail.DeliveryResult;
import io.postern.mail.EnhancedStatus;
import io.postern.mail.Envelope;
import io.postern.mail.EnvelopeRecipient;
import io.postern.mail.QueuedMessage;
import io.postern.mail.RecipientOutcome;
import io.postern.testing.LogCapture;
import io.postern.testing.MapDirectory;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

class RoutingDeliveryAgentTest {
    @TempDir
    Path base;

    private final MapDirectory dir = new MapDirectory("example.test")
            .mailboxes("alice@example.test", "bob@example.test");
    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    /** What the "remote MX" received: one entry per remote address handed over. */
    private final ConcurrentLinkedQueue<String> remoteInbox = new ConcurrentLinkedQueue<>();
    private final DeliveryAgent remote = (message, recipients) -> CompletableFuture.completedFuture(
            recipients.stream().map(r -> {
                remoteInbox.add(r.address() + " orcpt=" + r.originalRecipient().map(Object::toString).orElse("-"));
                return switch (r.address().localPart()) {
                    case "reject" -> DeliveryResult.failed(r, EnhancedStatus.of("5.1.1"), "550 5.1.1 no such user");
                    case "later" -> DeliveryResult.deferred(r, EnhancedStatus.of("4.4.1"), "connection refused");
                    default -> DeliveryResult.delivered(r, "250 ok", Optional.of("mx.remote.test"));
                };
            }).toList());
    private RoutingDeliveryAgent agent;

    @AfterEach
    void close() {
        if (agent != null) {
            agent.close();
        }
    }

    private RoutingDeliveryAgent agent(Optional<DeliveryAgent> outbound) {
        LocalDelivery mda = new LocalDelivery(new SpoolConfig(base.resolve("spool"), SpoolFormat.MAILDIR,
                "{domain}/{localpart}"), "node-a", registry);
        agent = new RoutingDeliveryAgent(dir, mda, outbound, DeliveryConfig.defaults(base.resolve("tmp")), registry);
        return agent;
    }

    private QueuedMessage message(String... recipients) throws IOException {
        return message("sender@remote.test", Optional.empty(), recipients);
    }

    private QueuedMessage message(String sender, Optional<String> login, String... recipients) throws IOException {
        Path content = base.resolve("content");
        Files.writeString(content, "Subject: t\r\n\r\nbody\r\n");
        List<EnvelopeRecipient> rcpts = Stream.of(recipients).map(r -> EnvelopeRecipient.of(addr(r))).toList();
        Envelope envelope = new Envelope(Optional.of(addr(sender)), rcpts, Envelope.BodyType.SEVEN_BIT,
                false, Optional.empty(), Optional.empty(), new Envelope.SessionTrace("127.0.0.1", "localhost", "client",
                login.isPresent() ? "ESMTPA" : "ESMTP", login, Optional.empty(), Instant.now()));
        return new QueuedMessage("Q1", envelope, FileContent.of(content));
    }

    @Test
    void aRestrictedGroupInsideAnOpenOneBelievesOnlyTheSenderOfAnAuthenticatedSession() throws Exception {
        dir.put(new Recipient.Group(addr("board@example.test"), "cn=board", List.of(addr("bob@example.test")),
                List.of(addr("alice@example.test"))));
        dir.put(new Recipient.Group(addr("all@example.test"), "cn=all", List.of(addr("board@example.test")),
                List.of()));
        RoutingDeliveryAgent routing = agent(Optional.empty());

        DeliveryResult forged = deliver(routing, message("alice@example.test", Optional.empty(), "all@example.test"))
                .get("all@example.test");
        assertThat(forged.outcome()).isInstanceOf(RecipientOutcome.Failed.class);
        assertThat(forged.status()).hasToString("5.7.1");
        assertThat(messagesIn("bob")).isZero();

        DeliveryResult checked = deliver(routing, message("alice@example.test", Optional.of("alice"),
                "all@example.test")).get("all@example.test");
        assertThat(checked.outcome()).isInstanceOf(RecipientOutcome.Succeeded.class);
        assertThat(messagesIn("bob")).isEqualTo(1);
    }

    @Test
    void aMessageForOneMailboxIsExpandedWrittenAndAnsweredOnOneIoWorker() throws Exception {
        RoutingDeliveryAgent routing = agent(Optional.empty());
        QueuedMessage message = message("alice@example.test");
        CompletableFuture<String> completedOn = new CompletableFuture<>();

        routing.deliverIfLocal(message, message.envelope().recipients())
                .whenComplete((results, error) -> completedOn.complete(Thread.currentThread().getName()));

        // No hand-off from a coordinating thread to the pool and back: the worker's answer is the session's.
        assertThat(completedOn.get(10, TimeUnit.SECONDS)).startsWith("delivery-io-");
        assertThat(messagesIn("alice")).isEqualTo(1);
    }

    @Test
    void aMessageForSeveralMailboxesIsWrittenInParallelEvenWithOneIoThread() throws Exception {
        LocalDelivery mda = new LocalDelivery(new SpoolConfig(base.resolve("spool"), SpoolFormat.MAILDIR,
                "{domain}/{localpart}"), "node-a", registry);
        DeliveryConfig defaults = DeliveryConfig.defaults(base.resolve("tmp"));
        agent = new RoutingDeliveryAgent(dir, mda, Optional.empty(), new DeliveryConfig(defaults.maxExpansionDepth(),
                defaults.maxExpandedRecipients(), 1, defaults.tempDirectory(), defaults.memoryThreshold()), registry);
        QueuedMessage message = message("alice@example.test", "bob@example.test");

        // The one I/O worker must not wait for its own pool: the writes are waited for elsewhere.
        Optional<List<DeliveryResult>> results = agent.deliverIfLocal(message, message.envelope().recipients())
                .get(10, TimeUnit.SECONDS);

        assertThat(results).isPresent();
        assertThat(results.get()).allMatch(r -> r.outcome() instanceof RecipientOutcome.Succeeded);
        assertThat(messagesIn("alice")).isEqualTo(1);
        assertThat(messagesIn("bob")).isEqualTo(1);
    }

    private Map<String, DeliveryResult> deliver(RoutingDeliveryAgent agent, QueuedMessage message) throws Exception {
        List<DeliveryResult> results = agent.deliver(message, message.envelope().recipients()).get(10, TimeUnit.SECONDS);
        assertThat(results).hasSize(message.envelope().recipients().size());
        return results.stream().collect(Collectors.toMap(r -> r.recipient().address().toString(), r -> r));
    }

    private long messagesIn(String mailbox) throws IOException {
        Path newDir = base.resolve("spool/example.test").resolve(mailbox).resolve("new");
        if (!Files.isDirectory(newDir)) {
            return 0;
        }
        try (Stream<Path> files = Files.list(newDir)) {
            return files.count();
        }
    }

    @Test
    void oneResultPerEnvelopeRecipientAndEachMailboxWrittenOnce() throws Exception {
        dir.put(new Recipient.Group(addr("team@example.test"), "cn=team",
                List.of(addr("alice@example.test"), addr("bob@example.test"), addr("friend@remote.test")), List.of()));
        QueuedMessage message = message("alice@example.test", "team@example.test", "alice+x@example.test",
                "friend@remote.test");

        Map<String, DeliveryResult> results = deliver(agent(Optional.of(remote)), message);

        assertThat(results.values()).allSatisfy(r -> assertThat(r.outcome()).isInstanceOf(RecipientOutcome.Succeeded.class));
        assertThat(messagesIn("alice")).isEqualTo(1);
        assertThat(messagesIn("bob")).isEqualTo(1);
        assertThat(remoteInbox).containsExactly("friend@remote.test orcpt=rfc822;team@example.test");
        assertThat(results.get("friend@remote.test").remoteMta()).contains("mx.remote.test");
        assertThat(registry.counter("postern.routing.results", "outcome", "delivered").count()).isEqualTo(4);
    }

    @Test
    void permanentBeatsTemporaryAndQuotaFailsOnlyItsRecipient() throws Exception {
        dir.put(new Recipient.Mailbox(addr("full@example.test"), "uid=full", Optional.empty(), OptionalLong.of(5), false));
        dir.put(new Recipient.Alias(addr("list@example.test"),
                List.of(addr("alice@example.test"), addr("later@remote.test"), addr("reject@remote.test"))));
        dir.put(new Recipient.Alias(addr("slow@example.test"), List.of(addr("bob@example.test"), addr("later@remote.test"))));
        QueuedMessage message = message("full@example.test", "bob@example.test", "list@example.test",
                "slow@example.test", "nobody@example.test");

        Map<String, DeliveryResult> results = deliver(agent(Optional.of(remote)), message);

        assertThat(results.get("full@example.test")).extracting(DeliveryResult::label, r -> r.status().toString())
                .containsExactly("failed", "5.2.2");
        assertThat(results.get("bob@example.test").outcome()).isInstanceOf(RecipientOutcome.Succeeded.class);
        assertThat(results.get("list@example.test")).extracting(DeliveryResult::label, r -> r.status().toString())
                .containsExactly("failed", "5.1.1");
        assertThat(results.get("slow@example.test")).extracting(DeliveryResult::label, r -> r.status().toString())
                .containsExactly("deferred", "4.4.1");
        assertThat(results.get("nobody@example.test")).extracting(DeliveryResult::label, r -> r.status().toString())
                .containsExactly("failed", "5.1.1");
        assertThat(messagesIn("full")).isZero();
        assertThat(messagesIn("bob")).isEqualTo(1);
    }

    @Test
    void withoutOutboundRemoteTargetsAreDeferred() throws Exception {
        Map<String, DeliveryResult> results = deliver(agent(Optional.empty()), message("x@remote.test", "alice@example.test"));
        assertThat(results.get("x@remote.test")).extracting(DeliveryResult::label, r -> r.status().toString())
                .containsExactly("deferred", "4.4.0");
        assertThat(results.get("x@remote.test").diagnostic()).contains("no outbound transport configured");
        assertThat(results.get("alice@example.test").outcome()).isInstanceOf(RecipientOutcome.Succeeded.class);
    }

    @Test
    void aDeliveredRecipientsRoutedLineIsDebugOnlyOthersStayAtInfo() throws Exception {
        // The queue's event=delivery ... status=sent line already says that a recipient was delivered.
        Logger logger = (Logger) LoggerFactory.getLogger(RoutingDeliveryAgent.class);
        Level level = logger.getLevel();
        RoutingDeliveryAgent routing = agent(Optional.of(remote));
        try (LogCapture logs = LogCapture.of(RoutingDeliveryAgent.class)) {
            deliver(routing, message("alice@example.test", "later@remote.test", "reject@remote.test"));
            assertThat(logs.events("routed", Level.INFO)).satisfiesExactly(
                    l -> assertThat(l).contains(" rcpt=later@remote.test status=DEFERRED code=4.4.1 "),
                    l -> assertThat(l).contains(" rcpt=reject@remote.test status=FAILED code=5.1.1 "));
            assertThat(logs.events("routed")).as("nothing below INFO is written by default").hasSize(2);

            logger.setLevel(Level.DEBUG);
            deliver(routing, message("alice@example.test", "later@remote.test"));
            assertThat(logs.events("routed", Level.DEBUG)).singleElement().asString()
                    .contains(" rcpt=alice@example.test status=DELIVERED code=2.0.0 ");
            assertThat(logs.events("routed", Level.INFO)).hasSize(3).last().asString()
                    .contains(" rcpt=later@remote.test status=DEFERRED ");
        } finally {
            logger.setLevel(level);
        }
    }

    @Test
    void anUnreachableDirectoryDefersNeverFails() throws Exception {
        dir.down(true);
        Map<String, DeliveryResult> results = deliver(agent(Optional.of(remote)),
                message("alice@example.test", "x@remote.test"));
        assertThat(results.values()).allSatisfy(r -> {
            assertThat(r.outcome()).isInstanceOf(RecipientOutcome.Deferred.class);
            assertThat(r.status()).hasToString("4.4.3");
            assertThat(r.cause()).as("the directory's trouble, not the destination's")
                    .isEqualTo(DeliveryResult.Cause.DIRECTORY);
        });
        assertThat(messagesIn("alice")).isZero();
        assertThat(remoteInbox).isEmpty();
    }

    @Test
    void aFailingOutboundAgentDefers() throws Exception {
        DeliveryAgent broken = (m, r) -> CompletableFuture.failedFuture(new IllegalStateException("boom"));
        Map<String, DeliveryResult> results = deliver(agent(Optional.of(broken)), message("x@remote.test"));
        assertThat(results.get("x@remote.test").outcome()).isInstanceOf(RecipientOutcome.Deferred.class);
    }

    @Test
    void theFrontRoleHandsEachLocalMailboxToLmtpOnceWithItsAddress() throws Exception {
        ConcurrentLinkedQueue<String> lmtpInbox = new ConcurrentLinkedQueue<>();
        DeliveryAgent lmtp = (message, recipients) -> CompletableFuture.completedFuture(recipients.stream().map(r -> {
            lmtpInbox.add(r.address().toString());
            return r.address().localPart().equals("bob") ? DeliveryResult.failed(r, EnhancedStatus.of("5.2.2"), "552 5.2.2 mailbox full")
                    : DeliveryResult.delivered(r, "250 2.0.0 ok", Optional.of("delivery-1"));
        }).toList());
        dir.put(new Recipient.Alias(addr("both@example.test"), List.of(addr("alice+x@example.test"), addr("bob@example.test"))));
        SimpleMeterRegistry meters = new SimpleMeterRegistry();
        agent = RoutingDeliveryAgent.withLmtpHandOff(dir, lmtp, Optional.of(remote),
                DeliveryConfig.defaults(base.resolve("tmp")), meters);

        Map<String, DeliveryResult> results = deliver(agent, message("alice+x@example.test", "both@example.test",
                "friend@remote.test"));

        assertThat(lmtpInbox).containsExactlyInAnyOrder("alice+x@example.test", "bob@example.test");
        assertThat(results.get("alice+x@example.test").outcome()).as(results.get("alice+x@example.test").diagnostic()).isInstanceOf(RecipientOutcome.Succeeded.class);
        assertThat(results.get("both@example.test")).extracting(DeliveryResult::label, r -> r.status().toString())
                .containsExactly("failed", "5.2.2");
        assertThat(results.get("friend@remote.test").outcome()).isInstanceOf(RecipientOutcome.Succeeded.class);
        assertThat(base.resolve("spool")).doesNotExist();
    }
}
