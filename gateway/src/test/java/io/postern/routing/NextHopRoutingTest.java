package io.postern.routing;

import static io.postern.testing.MapDirectory.addr;
import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.postern.config.DeliveryConfig;
import io.postern.config.NextHop;
import io.postern.config.RoutingConfig;
import io.postern.config.SpoolConfig;
import io.postern.config.SpoolFormat;
import io.postern.delivery.FileContent;
import io.postern.delivery.LocalDelivery;
import io.postern.directory.Directory;
import io.postern.directory.Lookup;
import io.postern.directory.Recipient;
import io.postern.mail.DeliveryAgent;
import io.postern.mail.DeliveryResult;
import io.postern.mail.EnhancedStatus;
import io.postern.mail.Envelope;
import io.postern.mail.EnvelopeRecipient;
import io.postern.mail.QueuedMessage;
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
import java.util.function.Function;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Issue 18, "Where a mailbox lives": relay domains and home servers go to their next hop, never into a spool. */
class NextHopRoutingTest {
    private static final NextHop LEGACY = new NextHop(NextHop.Protocol.SMTP, "10.0.0.5", 25, false);
    private static final NextHop APPS = new NextHop(NextHop.Protocol.LMTP, "mda.internal", 24, false);
    private static final NextHop BOB_HOME = new NextHop(NextHop.Protocol.SMTP, "127.0.0.1", 2526, false);
    private static final RoutingConfig ROUTING = new RoutingConfig(Map.of(
            "legacy.test", new RoutingConfig.RelayDomain("legacy.test", LEGACY, RoutingConfig.Verify.DIRECTORY),
            "apps.test", new RoutingConfig.RelayDomain("apps.test", APPS, RoutingConfig.Verify.NONE)),
            List.of("mail.example.test"));

    @TempDir
    Path base;

    private final MapDirectory dir = new MapDirectory("example.test")
            .mailboxes("alice@example.test", "carol@legacy.test");
    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    /** What each next hop received: "hop address". */
    private final ConcurrentLinkedQueue<String> sent = new ConcurrentLinkedQueue<>();
    private boolean hopsDown;
    private RoutingDeliveryAgent agent;

    @AfterEach
    void close() {
        if (agent != null) {
            agent.close();
        }
    }

    private void homeServer(String address, String value) {
        dir.put(new Recipient.Mailbox(addr(address), "uid=" + addr(address).localPart(), Optional.empty(),
                OptionalLong.empty(), false, Optional.of(value)));
    }

    private Directory routed() {
        return RelayDomainDirectory.wrap(dir, ROUTING);
    }

    private RoutingDeliveryAgent agent(boolean withTransport) {
        Function<NextHop, DeliveryAgent> hops = hop -> (message, recipients) -> CompletableFuture.completedFuture(
                recipients.stream().map(r -> {
                    if (hopsDown) {
                        return DeliveryResult.deferred(r, EnhancedStatus.of("4.4.1"), "connection refused by " + hop);
                    }
                    sent.add(hop + " " + r.address());
                    return DeliveryResult.delivered(r, "250 ok", Optional.of(hop.host()));
                }).toList());
        LocalDelivery mda = new LocalDelivery(new SpoolConfig(base.resolve("spool"), SpoolFormat.MAILDIR,
                "{domain}/{localpart}"), "node-a", registry);
        agent = new RoutingDeliveryAgent(routed(), mda, Optional.empty(),
                new NextHops(new MailboxRouter(ROUTING, "node-a"), withTransport ? Optional.of(hops) : Optional.empty()),
                DeliveryConfig.defaults(base.resolve("tmp")), registry);
        return agent;
    }

    @Test
    void aHomeServerUserGoesToTheHomeServerWhileTheRestOfTheDomainIsLocal() throws Exception {
        homeServer("bob@example.test", "smtp:[127.0.0.1]:2526");
        Map<String, DeliveryResult> results = deliver(agent(true), "alice@example.test", "bob+news@example.test");
        assertThat(results.values()).extracting(DeliveryResult::isDelivered).containsOnly(true);
        assertThat(sent).containsExactly(BOB_HOME + " bob+news@example.test");
        assertThat(messagesIn("example.test", "alice")).isEqualTo(1);
        assertThat(messagesIn("example.test", "bob")).isZero();
    }

    @Test
    void aHomeServerThatIsThisNodeIsLocal() throws Exception {
        homeServer("dave@example.test", "node-a");
        homeServer("erin@example.test", "smtp:[Mail.example.test]:25");
        Map<String, DeliveryResult> results = deliver(agent(true), "dave@example.test", "erin@example.test");
        assertThat(results.values()).extracting(DeliveryResult::isDelivered).containsOnly(true);
        assertThat(sent).isEmpty();
        assertThat(messagesIn("example.test", "dave")).isEqualTo(1);
        assertThat(messagesIn("example.test", "erin")).isEqualTo(1);
    }

    @Test
    void anUnreadableHomeServerDefersAndWritesNothing() throws Exception {
        homeServer("frank@example.test", "not a host!");
        DeliveryResult result = deliver(agent(true), "frank@example.test").get("frank@example.test");
        assertThat(result.isDeferred()).isTrue();
        assertThat(result.status()).hasToString("4.3.5");
        assertThat(messagesIn("example.test", "frank")).isZero();
    }

    @Test
    void relayDomainsGoToTheirNextHopAndUnknownUsersOfAVerifiedOneFail() throws Exception {
        dir.put(new Recipient.Alias(addr("team@example.test"), List.of(addr("alice@example.test"),
                addr("carol@legacy.test"))));
        Map<String, DeliveryResult> results = deliver(agent(true), "team@example.test", "nobody@legacy.test",
                "anyone@apps.test");
        assertThat(results.get("team@example.test").isDelivered()).isTrue();
        assertThat(results.get("nobody@legacy.test").isFailed()).isTrue();
        assertThat(results.get("nobody@legacy.test").status()).hasToString("5.1.1");
        assertThat(results.get("anyone@apps.test").isDelivered()).isTrue();
        assertThat(sent).containsExactlyInAnyOrder(LEGACY + " carol@legacy.test", APPS + " anyone@apps.test");
        assertThat(messagesIn("example.test", "alice")).isEqualTo(1);
        assertThat(messagesIn("legacy.test", "carol")).isZero();
        assertThat(messagesIn("apps.test", "anyone")).isZero();
    }

    @Test
    void aNextHopThatIsDownOrMissingDefersAndNothingIsStored() throws Exception {
        homeServer("bob@example.test", "mail2.example.test");
        hopsDown = true;
        Map<String, DeliveryResult> down = deliver(agent(true), "bob@example.test", "carol@legacy.test");
        assertThat(down.values()).extracting(DeliveryResult::isDeferred).containsOnly(true);
        agent.close();
        Map<String, DeliveryResult> missing = deliver(agent(false), "bob@example.test", "carol@legacy.test");
        assertThat(missing.values()).extracting(r -> r.status().toString()).containsOnly("4.4.0");
        assertThat(messagesIn("example.test", "bob")).isZero();
        assertThat(messagesIn("legacy.test", "carol")).isZero();
    }

    @Test
    void theFrontEndSeesRelayDomainsAsAcceptedAndChecksTheirUsers() {
        Directory routed = routed();
        assertThat(routed.isLocalDomain("legacy.test")).isEqualTo(Lookup.found(true));
        assertThat(routed.isLocalDomain("apps.test")).isEqualTo(Lookup.found(true));
        assertThat(routed.isLocalDomain("remote.test")).isEqualTo(Lookup.found(false));
        assertThat(routed.resolve(addr("nobody@legacy.test"))).isEqualTo(Lookup.found(
                new Recipient.Unknown(addr("nobody@legacy.test"))));
        assertThat(routed.resolve(addr("anyone@apps.test"))).isInstanceOfSatisfying(Lookup.Found.class,
                f -> assertThat(f.value()).isInstanceOf(Recipient.Mailbox.class));
        assertThat(RelayDomainDirectory.wrap(dir, RoutingConfig.none())).isSameAs(dir);
    }

    @Test
    void thePrecheckLeavesNextHopMailboxesToTheNextHop() {
        homeServer("bob@example.test", "smtp:[127.0.0.1]:2526");
        LocalDelivery mda = new LocalDelivery(new SpoolConfig(base.resolve("spool"), SpoolFormat.MAILDIR,
                "{domain}/{localpart}"), "node-a", registry);
        DeliveryPrecheck precheck = new DeliveryPrecheck(routed(), DeliveryConfig.defaults(base.resolve("tmp")),
                Optional.of(mda), new MailboxRouter(ROUTING, "node-a"));
        // Delivered-To already names bob: locally that is a loop; the home server is another system.
        assertThat(precheck.atEndOfData(addr("bob@example.test"), Optional.empty(), Optional.empty(), 10,
                java.util.Set.of("bob@example.test"))).isEqualTo(io.postern.mail.DeliveryForecast.Verdict.DELIVERABLE);
    }

    private Map<String, DeliveryResult> deliver(RoutingDeliveryAgent routing, String... recipients) throws Exception {
        Path content = base.resolve("content");
        Files.writeString(content, "Subject: t\r\n\r\nbody\r\n");
        List<EnvelopeRecipient> rcpts = Stream.of(recipients).map(r -> EnvelopeRecipient.of(addr(r))).toList();
        Envelope envelope = new Envelope(Optional.of(addr("sender@remote.test")), rcpts, Envelope.BodyType.SEVEN_BIT,
                false, Optional.empty(), Optional.empty(), new Envelope.SessionTrace("127.0.0.1", "localhost", "client",
                "ESMTP", Optional.empty(), Optional.empty(), Instant.now()));
        QueuedMessage message = new QueuedMessage("Q1", envelope, FileContent.of(content));
        List<DeliveryResult> results = routing.deliver(message, rcpts).get(10, TimeUnit.SECONDS);
        assertThat(results).hasSize(rcpts.size());
        return results.stream().collect(Collectors.toMap(r -> r.recipient().address().toString(), r -> r));
    }

    private long messagesIn(String domain, String mailbox) throws IOException {
        Path newDir = base.resolve("spool").resolve(domain).resolve(mailbox).resolve("new");
        if (!Files.isDirectory(newDir)) {
            return 0;
        }
        try (Stream<Path> files = Files.list(newDir)) {
            return files.count();
        }
    }
}
