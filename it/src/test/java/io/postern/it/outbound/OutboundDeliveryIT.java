package io.postern.it.outbound;

import static io.postern.it.outbound.OutboundMessages.message;
import static io.postern.it.outbound.OutboundMessages.rcpt;
import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.postern.config.OutboundConfig;
import io.postern.it.servers.Dnsmasq;
import io.postern.it.servers.SmtpSink;
import io.postern.it.support.Ports;
import io.postern.mail.DeliveryResult;
import io.postern.mail.EnvelopeRecipient;
import io.postern.mail.QueuedMessage;
import io.postern.mail.RecipientOutcome;
import io.postern.outbound.OutboundDelivery;
import io.postern.testing.Await;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Outbound SMTP against real peers on loopback: dnsmasq publishes the MX records, Postfix's
 * smtp-sink plays each remote MX (all on one port, on different 127.0.0.x addresses).
 */
class OutboundDeliveryIT {
    @TempDir
    static Path dir;

    static Dnsmasq dns;
    static int port;
    static SmtpSink primary;
    static SmtpSink secondary;
    static SmtpSink greylisting;
    static SmtpSink rejecting;
    static SmtpSink busy;
    static SmtpSink sevenBit;
    static SmtpSink slow;
    static SmtpSink chatty;
    static SmtpSink oldFashioned;
    static OutboundDelivery delivery;
    static SimpleMeterRegistry registry = new SimpleMeterRegistry();

    @BeforeAll
    static void start() throws Exception {
        dns = Dnsmasq.builder().localDomain("test")
                .mx("prio.test", "mx1.prio.test", 10).mx("prio.test", "mx2.prio.test", 20)
                .host("mx1.prio.test", "127.0.0.2").host("mx2.prio.test", "127.0.0.3")
                .mx("down.test", "mx1.down.test", 10).mx("down.test", "mx2.down.test", 20)
                .host("mx1.down.test", "127.0.0.4").host("mx2.down.test", "127.0.0.3")
                .mx("busy.test", "mx1.busy.test", 10).mx("busy.test", "mx2.busy.test", 20)
                .host("mx1.busy.test", "127.0.0.7").host("mx2.busy.test", "127.0.0.3")
                .mx("temp.test", "mx.temp.test", 10).host("mx.temp.test", "127.0.0.5")
                .mx("perm.test", "mx.perm.test", 10).host("mx.perm.test", "127.0.0.6")
                .mx("cname.test", "alias.cname.test", 10).cname("alias.cname.test", "mx1.prio.test")
                .nullMx("nullmx.test")
                .host("implicit.test", "127.0.0.2")
                .mx("seven.test", "mx.seven.test", 10).host("mx.seven.test", "127.0.0.12")
                .mx("slow.test", "mx.slow.test", 10).host("mx.slow.test", "127.0.0.13")
                .mx("longline.test", "mx.longline.test", 10).host("mx.longline.test", "127.0.0.14")
                .mx("helo.test", "mx.helo.test", 10).host("mx.helo.test", "127.0.0.15")
                .start(dir.resolve("dns"));
        port = Ports.free();
        primary = SmtpSink.start(dir, "primary", "127.0.0.2", port);
        secondary = SmtpSink.start(dir, "secondary", "127.0.0.3", port);
        greylisting = SmtpSink.start(dir, "greylisting", "127.0.0.5", port,
                "-r", "RCPT", "-b", "451 4.7.1 Greylisted, please try again later");
        rejecting = SmtpSink.start(dir, "rejecting", "127.0.0.6", port,
                "-f", "RCPT", "-B", "550 5.1.1 No such user here");
        busy = SmtpSink.start(dir, "busy", "127.0.0.7", port, "-r", "CONNECT", "-b", "421 4.3.2 Too busy");
        sevenBit = SmtpSink.start(dir, "sevenbit", "127.0.0.12", port, "-8");
        slow = SmtpSink.start(dir, "slow", "127.0.0.13", port, "-w", "3");
        chatty = SmtpSink.start(dir, "chatty", "127.0.0.14", port, "-h", "h" + "x".repeat(600) + ".longline.test");
        oldFashioned = SmtpSink.start(dir, "helo-only", "127.0.0.15", port, "-e");
        delivery = OutboundDelivery.create(config(Optional.empty()), "postern.test", registry);
    }

    static OutboundConfig config(Optional<OutboundConfig.RelayHost> relay) {
        OutboundConfig d = OutboundConfig.defaults();
        return config(relay, Duration.ofSeconds(5), d.connections(), d.maxRecipientsPerTransaction(),
                d.maxReplyLineLength(), d.maxReplyLines());
    }

    static OutboundConfig config(Optional<OutboundConfig.RelayHost> relay, Duration replyTimeout,
                                 OutboundConfig.Connections connections, int maxRecipients, int maxLine, int maxLines) {
        OutboundConfig d = OutboundConfig.defaults();
        OutboundConfig.Timeouts t = new OutboundConfig.Timeouts(Duration.ofSeconds(3), replyTimeout, replyTimeout,
                replyTimeout, replyTimeout, replyTimeout, replyTimeout, replyTimeout);
        return new OutboundConfig(port, List.of(new OutboundConfig.HostPort("127.0.0.1", dns.port())),
                Duration.ofSeconds(2), t, d.tls(), relay, connections, maxRecipients, maxLine, maxLines, List.of());
    }

    @AfterAll
    static void stop() throws Exception {
        if (delivery != null) {
            delivery.close();
        }
        for (AutoCloseable c : new AutoCloseable[] {primary, secondary, greylisting, rejecting, busy, sevenBit, slow,
                chatty, oldFashioned, dns}) {
            if (c != null) {
                c.close();
            }
        }
    }

    private static Map<String, DeliveryResult> deliver(OutboundDelivery agent, QueuedMessage m) throws Exception {
        List<DeliveryResult> results = agent.deliver(m, m.envelope().recipients()).get(60, TimeUnit.SECONDS);
        assertThat(results).hasSize(m.envelope().recipients().size());
        return results.stream().collect(Collectors.toMap(r -> r.recipient().address().toString(), Function.identity()));
    }

    @Test
    void sendsToTheLowestPreferenceMxAndStreamsTheContentDotStuffed() throws Exception {
        QueuedMessage m = message(dir, "prio-1", List.of(rcpt("bob@prio.test"), rcpt("carol@prio.test")));
        Map<String, DeliveryResult> results = deliver(delivery, m);
        assertThat(results.values()).allSatisfy(r -> {
            assertThat(r.outcome()).isInstanceOf(RecipientOutcome.Succeeded.class);
            assertThat(r.remoteMta().orElseThrow()).contains("mx1.prio.test[127.0.0.2]:" + port);
        });
        String received = primary.awaitMessage(Duration.ofSeconds(5), "prio-1").replace("\r\n", "\n");
        assertThat(received).contains("X-Mail-Args: <alice@origin.test>", "X-Rcpt-Args: <bob@prio.test>",
                "X-Rcpt-Args: <carol@prio.test>", "X-Helo-Args: postern.test",
                "\n.leading dot line\n..two dots\n");
        assertThat(secondary.messages()).noneMatch(s -> s.contains("prio-1"));
    }

    @Test
    void failsOverToTheSecondMxWhenTheFirstIsDown() throws Exception {
        Map<String, DeliveryResult> results = deliver(delivery, message(dir, "down-1", List.of(rcpt("dave@down.test"))));
        DeliveryResult r = results.get("dave@down.test");
        assertThat(r.outcome()).isInstanceOf(RecipientOutcome.Succeeded.class);
        assertThat(r.remoteMta().orElseThrow()).contains("mx2.down.test[127.0.0.3]:" + port);
        secondary.awaitMessage(Duration.ofSeconds(5), "down-1");
    }

    @Test
    void triesTheNextMxAfterA4xxGreeting() throws Exception {
        DeliveryResult r = deliver(delivery, message(dir, "busy-1", List.of(rcpt("erin@busy.test")))).get("erin@busy.test");
        assertThat(r.outcome()).isInstanceOf(RecipientOutcome.Succeeded.class);
        assertThat(r.remoteMta().orElseThrow()).contains("127.0.0.3");
        secondary.awaitMessage(Duration.ofSeconds(5), "busy-1");
    }

    @Test
    void temporaryRejectionIsDeferredWithTheRemoteReply() throws Exception {
        DeliveryResult r = deliver(delivery, message(dir, "temp-1", List.of(rcpt("frank@temp.test")))).get("frank@temp.test");
        assertThat(r.outcome()).isInstanceOf(RecipientOutcome.Deferred.class);
        assertThat(r.status()).hasToString("4.7.1");
        assertThat(r.diagnostic()).isEqualTo("451 4.7.1 Greylisted, please try again later");
        assertThat(r.remoteMta().orElseThrow()).contains("mx.temp.test[127.0.0.5]:" + port);
        assertThat(greylisting.messages()).isEmpty();
    }

    @Test
    void permanentRejectionFailsWithTheRemoteText() throws Exception {
        DeliveryResult r = deliver(delivery, message(dir, "perm-1", List.of(rcpt("gina@perm.test")))).get("gina@perm.test");
        assertThat(r.outcome()).isInstanceOf(RecipientOutcome.Failed.class);
        assertThat(r.status()).hasToString("5.1.1");
        assertThat(r.diagnostic()).isEqualTo("550 5.1.1 No such user here");
        assertThat(rejecting.messages()).isEmpty();
    }

    @Test
    void dnsOutcomesForEveryKindOfDomainInOneMessage() throws Exception {
        QueuedMessage m = message(dir, "dns-1", List.of(rcpt("a@nullmx.test"), rcpt("b@nosuch.test"),
                rcpt("c@implicit.test"), rcpt("d@cname.test"), rcpt("e@outside.example")));
        Map<String, DeliveryResult> results = deliver(delivery, m);
        assertThat(results.get("a@nullmx.test").outcome()).as(results.get("a@nullmx.test").toString()).isInstanceOf(RecipientOutcome.Failed.class);
        assertThat(results.get("a@nullmx.test").status()).hasToString("5.1.10");
        assertThat(results.get("b@nosuch.test").outcome()).as(results.get("b@nosuch.test").toString()).isInstanceOf(RecipientOutcome.Failed.class);
        assertThat(results.get("b@nosuch.test").status()).hasToString("5.1.2");
        assertThat(results.get("c@implicit.test").outcome()).as(results.get("c@implicit.test").toString()).isInstanceOf(RecipientOutcome.Succeeded.class);
        assertThat(results.get("c@implicit.test").remoteMta().orElseThrow()).contains("implicit.test[127.0.0.2]:" + port);
        assertThat(results.get("d@cname.test").outcome()).as(results.get("d@cname.test").toString()).isInstanceOf(RecipientOutcome.Succeeded.class);
        assertThat(results.get("d@cname.test").remoteMta().orElseThrow()).contains("alias.cname.test[127.0.0.2]:" + port);
        // dnsmasq answers REFUSED outside .test: a DNS failure must defer, never bounce.
        assertThat(results.get("e@outside.example").outcome()).as(results.get("e@outside.example").toString()).isInstanceOf(RecipientOutcome.Deferred.class);
        assertThat(results.get("e@outside.example").status()).hasToString("4.4.3");
        String received = primary.awaitMessage(Duration.ofSeconds(5), "dns-1", "<c@implicit.test>");
        assertThat(received).contains("X-Rcpt-Args: <c@implicit.test>");
    }

    @Test
    void reusesOneConnectionForSeveralMessagesToOneDestination() throws Exception {
        SimpleMeterRegistry own = new SimpleMeterRegistry();
        try (OutboundDelivery agent = OutboundDelivery.create(config(Optional.empty()), "postern.test", own)) {
            for (int i = 0; i < 3; i++) {
                List<EnvelopeRecipient> to = List.of(rcpt("reuse" + i + "@prio.test"));
                assertThat(deliver(agent, message(dir, "reuse-" + i, to)).values())
                        .allSatisfy(r -> assertThat(r.outcome()).isInstanceOf(RecipientOutcome.Succeeded.class));
            }
            assertThat(own.counter("postern.outbound.connections", "protocol", "smtp", "outcome", "opened").count())
                    .isEqualTo(1.0);
            assertThat(own.counter("postern.outbound.connections", "protocol", "smtp", "outcome", "reused").count())
                    .isEqualTo(2.0);
            assertThat(own.counter("postern.outbound.deliveries", "protocol", "smtp", "result", "delivered").count())
                    .isEqualTo(3.0);
            assertThat(own.timer("postern.outbound.transaction", "protocol", "smtp", "destination", "prio.test").count())
                    .isEqualTo(3);
            assertThat(agent.idleConnections()).isEqualTo(1);
        }
        for (int i = 0; i < 3; i++) {
            primary.awaitMessage(Duration.ofSeconds(5), "reuse-" + i);
        }
    }

    @Test
    void relayHostTakesAllMailWhateverTheDomain() throws Exception {
        OutboundConfig.RelayHost relay = new OutboundConfig.RelayHost(new OutboundConfig.HostPort("127.0.0.3", port),
                Optional.empty(), Optional.empty(), OutboundConfig.TlsPolicy.OPPORTUNISTIC);
        try (OutboundDelivery agent = OutboundDelivery.create(config(Optional.of(relay)), "postern.test",
                new SimpleMeterRegistry())) {
            Map<String, DeliveryResult> results = deliver(agent, message(dir, "relay-1",
                    List.of(rcpt("x@nosuch.test"), rcpt("y@outside.example"))));
            assertThat(results.values()).allSatisfy(r -> {
                assertThat(r.outcome()).isInstanceOf(RecipientOutcome.Succeeded.class);
                assertThat(r.remoteMta().orElseThrow()).contains("127.0.0.3]:" + port);
            });
        }
        String received = secondary.awaitMessage(Duration.ofSeconds(5), "relay-1");
        assertThat(received).contains("X-Rcpt-Args: <x@nosuch.test>", "X-Rcpt-Args: <y@outside.example>");
    }

    @Test
    void eightBitContentFailsWith563AtAServerWithout8BitMimeAndIsFlaggedWhereSupported() throws Exception {
        QueuedMessage m = eightBit(message(dir, "eight-1", List.of(rcpt("h@seven.test"), rcpt("i@prio.test"))));
        Map<String, DeliveryResult> results = deliver(delivery, m);
        assertThat(results.get("h@seven.test").outcome()).as(results.get("h@seven.test").toString())
                .isInstanceOf(RecipientOutcome.Failed.class);
        assertThat(results.get("h@seven.test").status()).hasToString("5.6.3");
        assertThat(results.get("i@prio.test").outcome()).isInstanceOf(RecipientOutcome.Succeeded.class);
        assertThat(primary.awaitMessage(Duration.ofSeconds(5), "eight-1")).contains("X-Mail-Args: <alice@origin.test> BODY=8BITMIME");
        assertThat(sevenBit.messages()).isEmpty();
    }

    private static QueuedMessage eightBit(QueuedMessage m) throws java.io.IOException {
        Path file = java.nio.file.Files.createTempFile(dir, "eight-", ".eml");
        try (var in = m.content().open()) {
            String text = new String(in.readAllBytes(), java.nio.charset.StandardCharsets.US_ASCII);
            java.nio.file.Files.writeString(file, text + "caf\u00e9 cr\u00e8me\r\n", java.nio.charset.StandardCharsets.UTF_8);
        }
        io.postern.mail.MessageContent content = new io.postern.mail.MessageContent() {
            @Override
            public java.io.InputStream open() throws java.io.IOException {
                return java.nio.file.Files.newInputStream(file);
            }

            @Override
            public long size() {
                return file.toFile().length();
            }
        };
        io.postern.mail.Envelope e = m.envelope();
        return new QueuedMessage(m.queueId(), new io.postern.mail.Envelope(e.sender(), e.recipients(),
                io.postern.mail.Envelope.BodyType.EIGHT_BIT_MIME, false, e.dsnReturn(), e.dsnEnvelopeId(), e.trace()), content);
    }

    @Test
    void aReplyTimeoutDefersWith442() throws Exception {
        try (OutboundDelivery agent = OutboundDelivery.create(config(Optional.empty(), Duration.ofSeconds(1),
                OutboundConfig.Connections.defaults(), 50, 2048, 100), "postern.test", new SimpleMeterRegistry())) {
            DeliveryResult r = deliver(agent, message(dir, "slow-1", List.of(rcpt("j@slow.test")))).get("j@slow.test");
            assertThat(r.outcome()).as(r.toString()).isInstanceOf(RecipientOutcome.Deferred.class);
            assertThat(r.status()).hasToString("4.4.2");
            assertThat(r.diagnostic()).contains("timeout after 1s waiting for reply to", "from mx.slow.test[127.0.0.13]");
        }
    }

    @Test
    void aReplyLineOverTheLimitEndsTheSessionAndDefers() throws Exception {
        try (OutboundDelivery agent = OutboundDelivery.create(config(Optional.empty(), Duration.ofSeconds(5),
                OutboundConfig.Connections.defaults(), 50, 512, 100), "postern.test", new SimpleMeterRegistry())) {
            DeliveryResult r = deliver(agent, message(dir, "long-1", List.of(rcpt("k@longline.test")))).get("k@longline.test");
            assertThat(r.outcome()).as(r.toString()).isInstanceOf(RecipientOutcome.Deferred.class);
            assertThat(r.diagnostic()).contains("TooLongFrameException");
        }
        assertThat(chatty.messages()).isEmpty();
    }

    @Test
    void aReplyWithMoreLinesThanTheLimitEndsTheSessionAndDefers() throws Exception {
        try (OutboundDelivery agent = OutboundDelivery.create(config(Optional.empty(), Duration.ofSeconds(5),
                OutboundConfig.Connections.defaults(), 50, 2048, 5), "postern.test", new SimpleMeterRegistry())) {
            DeliveryResult r = deliver(agent, message(dir, "lines-1", List.of(rcpt("l@prio.test")))).get("l@prio.test");
            assertThat(r.outcome()).as(r.toString()).isInstanceOf(RecipientOutcome.Deferred.class);
            assertThat(r.diagnostic()).contains("reply of more than 5 lines");
        }
    }

    @Test
    void recipientAndReuseLimitsSplitTransactionsAndConnections() throws Exception {
        SimpleMeterRegistry own = new SimpleMeterRegistry();
        try (OutboundDelivery agent = OutboundDelivery.create(config(Optional.empty(), Duration.ofSeconds(5),
                new OutboundConfig.Connections(20, 4, Duration.ofSeconds(10), 1), 2, 2048, 100), "postern.test", own)) {
            List<EnvelopeRecipient> five = List.of(rcpt("m1@prio.test"), rcpt("m2@prio.test"), rcpt("m3@prio.test"),
                    rcpt("m4@prio.test"), rcpt("m5@prio.test"));
            assertThat(deliver(agent, message(dir, "split-1", five)).values())
                    .allSatisfy(r -> assertThat(r.outcome()).isInstanceOf(RecipientOutcome.Succeeded.class));
            assertThat(own.counter("postern.outbound.connections", "protocol", "smtp", "outcome", "opened").count())
                    .isEqualTo(3.0);
            assertThat(agent.idleConnections()).isZero();
        }
        // Every transaction was answered: smtp-sink writes its dump files just after, so wait for them.
        Await.until("three split-1 transactions dumped by smtp-sink",
                () -> primary.messages().stream().filter(s -> s.contains("split-1")).count() >= 3);
        List<String> split = primary.messages().stream().filter(s -> s.contains("split-1")).toList();
        assertThat(split).hasSize(3);
        assertThat(split).allSatisfy(s -> assertThat(s.split("X-Rcpt-Args:", -1).length - 1).isBetween(1, 2));
    }

    @Test
    void relayCredentialsAreNeverSentWithoutTls() throws Exception {
        OutboundConfig.RelayHost relay = new OutboundConfig.RelayHost(new OutboundConfig.HostPort("127.0.0.3", port),
                Optional.of("postern"), Optional.of("secret"), OutboundConfig.TlsPolicy.REQUIRED);
        try (OutboundDelivery agent = OutboundDelivery.create(config(Optional.of(relay)), "postern.test",
                new SimpleMeterRegistry())) {
            DeliveryResult r = deliver(agent, message(dir, "auth-1", List.of(rcpt("n@outside.example"))))
                    .get("n@outside.example");
            assertThat(r.outcome()).as(r.toString()).isInstanceOf(RecipientOutcome.Deferred.class);
            assertThat(r.status()).hasToString("4.7.4");
            assertThat(r.diagnostic()).contains("STARTTLS was not offered").doesNotContain("secret");
        }
        assertThat(secondary.messages()).noneMatch(s -> s.contains("auth-1"));
    }

    @Test
    void aServerWithoutEsmtpGetsHelo() throws Exception {
        DeliveryResult r = deliver(delivery, message(dir, "helo-1", List.of(rcpt("o@helo.test")))).get("o@helo.test");
        assertThat(r.outcome()).as(r.toString()).isInstanceOf(RecipientOutcome.Succeeded.class);
        assertThat(oldFashioned.awaitMessage(Duration.ofSeconds(5), "helo-1"))
                .contains("X-Client-Proto: SMTP", "X-Helo-Args: postern.test", "X-Mail-Args: <alice@origin.test>\n");
    }

    @Test
    void aDnsServerThatNeverAnswersDefersWith443() throws Exception {
        try (java.net.DatagramSocket silent = new java.net.DatagramSocket(0, java.net.InetAddress.getLoopbackAddress())) {
            OutboundConfig base = config(Optional.empty());
            OutboundConfig mute = new OutboundConfig(base.port(),
                    List.of(new OutboundConfig.HostPort("127.0.0.1", silent.getLocalPort())), Duration.ofMillis(200),
                    base.timeouts(), base.tls(), Optional.empty(), base.connections(), base.maxRecipientsPerTransaction(),
                    base.maxReplyLineLength(), base.maxReplyLines(), List.of());
            long start = System.nanoTime();
            try (OutboundDelivery agent = OutboundDelivery.create(mute, "postern.test", new SimpleMeterRegistry())) {
                DeliveryResult r = deliver(agent, message(dir, "mute-1", List.of(rcpt("p@prio.test")))).get("p@prio.test");
                assertThat(r.outcome()).as(r.toString()).isInstanceOf(RecipientOutcome.Deferred.class);
                assertThat(r.status()).hasToString("4.4.3");
                assertThat(r.diagnostic()).contains("DNS lookup of MX for prio.test failed");
            }
            assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(10));
        }
    }

    @Test
    void theDestinationConcurrencyLimitQueuesABurstToANextHopTheQueueCannotSeeOnOneSession() throws Exception {
        // The queue's destination table limits the envelope's own recipient domains; addresses an alias led
        // to (not in the envelope) reach a domain the queue never admitted, so the client caps those itself.
        SimpleMeterRegistry own = new SimpleMeterRegistry();
        try (OutboundDelivery agent = OutboundDelivery.create(config(Optional.empty(), Duration.ofSeconds(5),
                new OutboundConfig.Connections(1, 4, Duration.ofSeconds(10), 100), 50, 2048, 100), "postern.test", own)) {
            List<java.util.concurrent.CompletableFuture<List<DeliveryResult>>> burst = new java.util.ArrayList<>();
            for (int i = 0; i < 6; i++) {
                QueuedMessage m = message(dir, "burst-" + i, List.of(rcpt("list" + i + "@example.test")));
                burst.add(agent.deliver(m, List.of(rcpt("q" + i + "@prio.test"))));
            }
            for (var f : burst) {
                assertThat(f.get(60, TimeUnit.SECONDS)).singleElement()
                        .satisfies(r -> assertThat(r.outcome()).isInstanceOf(RecipientOutcome.Succeeded.class));
            }
            assertThat(own.counter("postern.outbound.connections", "protocol", "smtp", "outcome", "opened").count())
                    .isEqualTo(1.0);
            assertThat(own.counter("postern.outbound.connections", "protocol", "smtp", "outcome", "reused").count())
                    .isEqualTo(5.0);
        }
    }
}
