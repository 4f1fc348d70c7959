package io.postern.queue;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.postern.config.QueueConfig;
import io.postern.mail.Acceptance;
import io.postern.mail.DeliveryAgent;
import io.postern.mail.DeliveryResult;
import io.postern.mail.Envelope;
import io.postern.mail.EnvelopeRecipient;
import io.postern.mail.IncomingMessage;
import io.postern.mail.MailAddress;
import io.postern.mail.QueuedMessage;
import io.postern.testing.Await;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.BooleanSupplier;
import java.util.function.Function;
import java.util.stream.Stream;

/** Shared helpers for queue tests: envelopes, a settable clock, a scripted agent, waiting for the scheduler. */
final class QueueFixture {
    private QueueFixture() {
    }

    static MailAddress address(String text) {
        return MailAddress.parse(text).orElseThrow();
    }

    static Envelope envelope(String sender, String... recipients) {
        return envelopeAt(Instant.now(), sender, recipients);
    }

    static Envelope envelopeAt(Instant arrival, String sender, String... recipients) {
        return new Envelope(sender.isEmpty() ? Optional.empty() : Optional.of(address(sender)),
                Stream.of(recipients).map(r -> EnvelopeRecipient.of(address(r))).toList(),
                Envelope.BodyType.EIGHT_BIT_MIME, false, Optional.empty(), Optional.empty(),
                new Envelope.SessionTrace("192.0.2.1", "client.example.net", "client.example.net", "ESMTPSA",
                        Optional.of("alice"), Optional.of("TLS_AES_128_GCM_SHA256"), arrival));
    }

    static String message(String subject) {
        return "From: alice@example.test\r\nTo: bob@example.net\r\nSubject: " + subject + "\r\n\r\nHello.\r\n";
    }

    static Acceptance accept(MailQueue queue, Envelope envelope, String content) throws Exception {
        IncomingMessage m = queue.sink().open(envelope);
        byte[] bytes = content.getBytes(StandardCharsets.UTF_8);
        m.write(bytes, 0, bytes.length);
        return m.commit().get();
    }

    static QueueConfig config(Path dir) {
        return new QueueConfig(dir, Duration.ofDays(5));
    }

    /** Waits (bounded, see {@link Await}) for the scheduler's threads to make {@code condition} true. */
    static void await(String what, BooleanSupplier condition) {
        Await.until(what, condition);
    }

    /**
     * Returns once the scheduler, after this call, found nothing due to start while exactly
     * {@code held} attempts ran (those the test's agent holds open): everything the clock made due
     * has been offered by then, so a test may assert that something was <em>not</em> offered.
     */
    static void settle(MailQueue queue, int held) {
        long mark = queue.poke();
        Await.until("the scheduler to find nothing due with " + held + " attempts running", () -> {
            DeliveryScheduler.QuietPass last = queue.lastQuietPass();
            return last.number() > mark && last.inFlight() == held;
        });
    }

    static void settle(MailQueue queue) {
        settle(queue, 0);
    }

    static long envelopeCountUnchecked(Path dir) {
        try {
            return envelopeCount(dir);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    static long envelopeCount(Path dir) throws IOException {
        try (Stream<Path> s = Files.list(dir.resolve("messages"))) {
            return s.filter(p -> p.toString().endsWith(".env")).count();
        }
    }

    static MailQueue start(QueueConfig config, Clock clock, IoHooks hooks) throws Exception {
        MailQueue queue = MailQueue.start(config, "mx.example.test", address("postmaster@example.test"),
                new SimpleMeterRegistry(), clock, hooks);
        queue.recovered().get();
        return queue;
    }

    /**
     * A queue driven by the step function: no dispatcher thread; {@link MailQueue#runDue} runs what
     * is due at {@code clock}'s time on the test's thread, so nothing needs waiting for.
     */
    static MailQueue stepped(QueueConfig config, Clock clock) throws Exception {
        return MailQueue.startStepped(config, "mx.example.test", address("postmaster@example.test"),
                new SimpleMeterRegistry(), clock, IoHooks.NONE);
    }

    /** A clock that tests move by hand. */
    static final class FakeClock extends Clock {
        private volatile Instant now;

        FakeClock(Instant start) {
            now = start;
        }

        void advance(Duration d) {
            now = now.plus(d);
        }

        @Override
        public ZoneId getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(ZoneId zone) {
            return this;
        }

        @Override
        public Instant instant() {
            return now;
        }
    }

    /** What the agent saw: one entry per recipient offered, with the message bytes. */
    record Offer(String queueId, Optional<MailAddress> sender, MailAddress recipient, String content,
                 QueuedMessage.Attempt attempt) {
    }

    /** An agent that answers with {@code decide} per recipient and remembers every offer. */
    static final class ScriptedAgent implements DeliveryAgent {
        final List<Offer> offers = new CopyOnWriteArrayList<>();
        volatile Function<EnvelopeRecipient, DeliveryResult> decide =
                r -> DeliveryResult.delivered(r, "250 ok", Optional.of("mx.example.net"));

        @Override
        public CompletableFuture<List<DeliveryResult>> deliver(QueuedMessage message, List<EnvelopeRecipient> recipients) {
            String content;
            try (InputStream in = message.content().open()) {
                content = new String(in.readAllBytes(), StandardCharsets.UTF_8);
            } catch (IOException e) {
                return CompletableFuture.failedFuture(e);
            }
            for (EnvelopeRecipient r : recipients) {
                offers.add(new Offer(message.queueId(), message.envelope().sender(), r.address(), content,
                        message.attempt()));
            }
            return CompletableFuture.completedFuture(recipients.stream().map(decide).toList());
        }

        List<Offer> to(String address) {
            return offers.stream().filter(o -> o.recipient().toString().equals(address)).toList();
        }
    }
}
