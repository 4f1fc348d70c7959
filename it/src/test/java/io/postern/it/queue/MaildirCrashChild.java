package io.postern.it.queue;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.postern.config.DeliveryConfig;
import io.postern.config.QueueConfig;
import io.postern.config.SpoolConfig;
import io.postern.config.SpoolFormat;
import io.postern.delivery.LocalDelivery;
import io.postern.directory.Recipient;
import io.postern.mail.DeliveryAgent;
import io.postern.mail.Envelope;
import io.postern.mail.EnvelopeRecipient;
import io.postern.mail.IncomingMessage;
import io.postern.mail.MailAddress;
import io.postern.mail.QueuedMessage;
import io.postern.queue.MailQueue;
import io.postern.routing.RoutingDeliveryAgent;
import io.postern.testing.MapDirectory;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * A real JVM for {@link MaildirCrashIT}: the queue drains into the REAL {@link RoutingDeliveryAgent}
 * and {@link LocalDelivery} writing Maildirs (or mbox files with {@code -Dcrash.format=MBOX}) under SPOOL; only the directory is a small double
 * ({@code u0@example.test}, {@code team@example.test} = u1 + u2, {@code u3@other.test}).
 * {@code accept QUEUE SPOOL N THREADS} takes N messages concurrently (every 10th aborted), printing
 * {@code BEGIN n} before each commit and {@code ACK n id} after it; {@code drain QUEUE SPOOL} runs
 * until the queue is empty and prints {@code DRAINED}. A few milliseconds are spent between the
 * agent's answer and the queue's bookkeeping, so a kill often lands in that window. With
 * {@code -Dcrash.untracked=true} the agent is not told about repeats (the behaviour before
 * exactly-once delivery), to show that the test catches duplicates. With {@code -Dcrash.direct=true}
 * messages are delivered before they are acknowledged (role {@code all}; only what is left is queued).
 */
public final class MaildirCrashChild {
    static final List<String> MAILBOXES = List.of("u0@example.test", "u1@example.test", "u2@example.test",
            "u3@other.test");

    private MaildirCrashChild() {
    }

    public static void main(String[] args) throws Exception {
        String mode = args[0];
        Path dir = Path.of(args[1]);
        Path spool = Path.of(args[2]);
        QueueConfig config = new QueueConfig(dir, Duration.ofDays(5), List.of(Duration.ofSeconds(1)), 4, 20, 1000,
                Duration.ofSeconds(1), Duration.ZERO, 256, Duration.ZERO, 32, 50_000, Optional.empty());
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        // mbox: a dot-lock left by a killed writer is broken after 2 s here (10 min by default).
        SpoolFormat format = SpoolFormat.valueOf(System.getProperty("crash.format", "MAILDIR"));
        LocalDelivery mda = new LocalDelivery(new SpoolConfig(spool, format, "{domain}/{localpart}",
                Duration.ofSeconds(1), Duration.ofSeconds(2)), "node-a", registry);
        boolean untracked = Boolean.getBoolean("crash.untracked");
        try (MailQueue queue = MailQueue.start(config, "mx.example.test",
                MailAddress.parse("postmaster@example.test").orElseThrow(), registry, Clock.systemUTC(),
                io.postern.queue.IoHooks.NONE);
             RoutingDeliveryAgent routing = new RoutingDeliveryAgent(directory(), mda, Optional.empty(),
                     DeliveryConfig.defaults(dir.resolveSibling("lmtp-tmp")), registry)) {
            ExecutorService gap = Executors.newVirtualThreadPerTaskExecutor();
            DeliveryAgent agent = (message, recipients) -> routing.deliver(untracked
                    ? new QueuedMessage(message.queueId(), message.envelope(), message.content()) : message,
                    recipients).thenApplyAsync(results -> {
                        pause(3); // the window between delivery and bookkeeping, made a little wider
                        return results;
                    }, gap);
            queue.setDeliveryAgent(agent);
            if (Boolean.getBoolean("crash.direct")) {
                queue.setDirectDelivery(routing); // role all: all-local messages reach the spools before ACK
            }
            if (mode.equals("accept")) {
                accept(queue, Integer.parseInt(args[3]), Integer.parseInt(args[4]));
                say("ALL-ACKED");
                Thread.sleep(Long.MAX_VALUE);
            } else {
                queue.recovered().get();
                long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
                while (System.nanoTime() < deadline && envelopes(dir) > 0) {
                    Thread.sleep(20);
                }
                say(envelopes(dir) == 0 ? "DRAINED" : "NOT-DRAINED");
                say("AVOIDED " + (long) registry.counter("postern.delivery.local.duplicates.avoided").count());
            }
        }
    }

    private static void pause(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static long envelopes(Path dir) throws IOException {
        try (var s = Files.list(dir.resolve("messages"))) {
            return s.filter(p -> p.toString().endsWith(".env")).count();
        }
    }

    private static void accept(MailQueue queue, int count, int threads) throws Exception {
        try (ExecutorService pool = Executors.newFixedThreadPool(threads)) {
            List<Future<?>> futures = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                int first = t;
                futures.add(pool.submit(() -> {
                    for (int n = first; n < count; n += threads) {
                        one(queue, n);
                    }
                    return null;
                }));
            }
            for (Future<?> f : futures) {
                f.get();
            }
        }
    }

    private static void one(MailQueue queue, int n) throws Exception {
        Envelope envelope = new Envelope(MailAddress.parse("sender@remote.test"),
                List.of(EnvelopeRecipient.of(address("u0@example.test")), EnvelopeRecipient.of(address("team@example.test")),
                        EnvelopeRecipient.of(address("u3@other.test"))),
                Envelope.BodyType.SEVEN_BIT, false, Optional.empty(), Optional.empty(),
                new Envelope.SessionTrace("127.0.0.1", "localhost", "localhost", "ESMTP", Optional.empty(),
                        Optional.empty(), Instant.now()));
        IncomingMessage m = queue.sink().open(envelope);
        byte[] bytes = ("X-Seq: " + n + "\r\nSubject: crash test " + n + "\r\n\r\n" + "x".repeat(1000) + "\r\n")
                .getBytes(StandardCharsets.US_ASCII);
        m.write(bytes, 0, bytes.length);
        if (n % 10 == 0) {
            m.abort();
            say("ABORTED " + n);
            return;
        }
        say("BEGIN " + n);
        String id = m.commit().get().queueId();
        say("ACK " + n + " " + id);
    }

    private static MailAddress address(String text) {
        return MailAddress.parse(text).orElseThrow();
    }

    private static synchronized void say(String line) {
        System.out.println(line);
        System.out.flush();
    }

    /** Three mailboxes in example.test, one in other.test, one alias. */
    private static MapDirectory directory() {
        return new MapDirectory("example.test", "other.test").mailboxes(MAILBOXES.toArray(String[]::new))
                .put(new Recipient.Alias(address("team@example.test"),
                        List.of(address("u1@example.test"), address("u2@example.test"))));
    }
}
