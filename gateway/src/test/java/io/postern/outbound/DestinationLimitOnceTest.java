package io.postern.outbound;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.postern.config.OutboundConfig;
import io.postern.mail.DeliveryResult;
import io.postern.mail.Envelope;
import io.postern.mail.EnvelopeRecipient;
import io.postern.mail.MailAddress;
import io.postern.mail.QueuedMessage;
import io.postern.testing.Await;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * The per-destination limit ({@code queue.destinationConcurrency}) is enforced once: the queue's
 * destination table admits a recipient domain; the client does not count the same domain again.
 * Only a next hop the queue cannot see (the relay host, an address an alias led to) is capped here.
 */
class DestinationLimitOnceTest {
    private static final EnvelopeRecipient BOB = EnvelopeRecipient.of(new MailAddress("bob", "example.net"));

    @Test
    void aDomainTheQueueAdmittedIsNotLimitedASecondTimeByTheClient() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        AtomicInteger connected = new AtomicInteger();
        try (ServerSocket server = new ServerSocket(0, 16, InetAddress.getLoopbackAddress());
             MailSender sender = MailSender.start(withLimit(1), "gw.example", SmtpClient.Protocol.SMTP,
                     new SimpleMeterRegistry())) {
            Thread.ofVirtual().start(() -> serve(server, connected, release));
            MailSender.Destination domain = new MailSender.Destination("example.net",
                    List.of(new MailSender.Target("mx.example.net", (InetSocketAddress) server.getLocalSocketAddress())),
                    OutboundConfig.TlsPolicy.NONE, Optional.empty(), true);
            // Two messages the queue admitted to example.net (its limit being 2, say): both sessions open at once,
            // although the client's own cap for a next hop would be 1.
            CompletableFuture<List<DeliveryResult>> first = CompletableFuture.supplyAsync(
                    () -> sender.send(domain, message("Q1"), List.of(BOB)), Thread.ofVirtual()::start);
            CompletableFuture<List<DeliveryResult>> second = CompletableFuture.supplyAsync(
                    () -> sender.send(domain, message("Q2"), List.of(BOB)), Thread.ofVirtual()::start);
            Await.until("both sessions open at once", () -> connected.get() == 2);
            release.countDown();
            assertThat(first.get(20, TimeUnit.SECONDS)).singleElement().matches(DeliveryResult::isDelivered);
            assertThat(second.get(20, TimeUnit.SECONDS)).singleElement().matches(DeliveryResult::isDelivered);
        }
    }

    @Test
    void onlyTheEnvelopesOwnRecipientsCountAsAdmittedByTheQueue() {
        QueuedMessage message = message("Q1");
        assertThat(OutboundDelivery.admittedByTheQueue(message, List.of(BOB))).isTrue();
        EnvelopeRecipient aliasTarget = EnvelopeRecipient.of(new MailAddress("carol", "example.org"));
        assertThat(OutboundDelivery.admittedByTheQueue(message, List.of(aliasTarget))).isFalse();
        assertThat(OutboundDelivery.admittedByTheQueue(message, List.of(BOB, aliasTarget))).isFalse();
    }

    private static OutboundConfig withLimit(int limit) {
        OutboundConfig d = OutboundConfig.defaults();
        OutboundConfig.Connections c = d.connections();
        return new OutboundConfig(d.port(), d.dnsServers(), d.dnsTimeout(), d.timeouts(), d.tls(), d.relayHost(),
                new OutboundConfig.Connections(limit, c.maxIdlePerDestination(), c.idleTimeout(),
                        c.maxMessagesPerConnection()),
                d.maxRecipientsPerTransaction(), d.maxReplyLineLength(), d.maxReplyLines(), d.lmtpTargets(), d.handoff());
    }

    private static QueuedMessage message(String id) {
        Envelope envelope = new Envelope(Optional.of(new MailAddress("alice", "example.test")), List.of(BOB),
                Envelope.BodyType.SEVEN_BIT, false, Optional.empty(), Optional.empty(),
                new Envelope.SessionTrace("192.0.2.9", "client.example", "client.example", "ESMTP", Optional.empty(),
                        Optional.empty(), java.time.Instant.EPOCH));
        byte[] bytes = "Subject: x\r\n\r\nhi\r\n".getBytes(StandardCharsets.US_ASCII);
        return new QueuedMessage(id, envelope, new io.postern.mail.MessageContent() {
            @Override
            public java.io.InputStream open() {
                return new java.io.ByteArrayInputStream(bytes);
            }

            @Override
            public long size() {
                return bytes.length;
            }
        });
    }

    /** Counts each session, holds its greeting until {@code release}, then takes the message. */
    private static void serve(ServerSocket server, AtomicInteger connected, CountDownLatch release) {
        while (!server.isClosed()) {
            Socket socket;
            try {
                socket = server.accept();
            } catch (IOException e) {
                return;
            }
            connected.incrementAndGet();
            Thread.ofVirtual().start(() -> session(socket, release));
        }
    }

    private static void session(Socket socket, CountDownLatch release) {
        try (socket) {
            release.await();
            BufferedReader in = new BufferedReader(new InputStreamReader(socket.getInputStream(), StandardCharsets.US_ASCII));
            OutputStream out = socket.getOutputStream();
            reply(out, "220 mx.example.net ESMTP");
            String line;
            while ((line = in.readLine()) != null) {
                String verb = line.length() >= 4 ? line.substring(0, 4).toUpperCase(java.util.Locale.ROOT) : line;
                switch (verb) {
                    case "DATA" -> {
                        reply(out, "354 go on");
                        while ((line = in.readLine()) != null && !line.equals(".")) {
                            // the message itself
                        }
                        reply(out, "250 2.0.0 queued");
                    }
                    case "QUIT" -> {
                        reply(out, "221 2.0.0 bye");
                        return;
                    }
                    default -> reply(out, "250 ok");
                }
            }
        } catch (IOException | InterruptedException e) {
            // the client went away: nothing to do
        }
    }

    private static void reply(OutputStream out, String line) throws IOException {
        out.write((line + "\r\n").getBytes(StandardCharsets.US_ASCII));
        out.flush();
    }
}
