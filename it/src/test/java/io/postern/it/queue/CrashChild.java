package io.postern.it.queue;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.postern.config.QueueConfig;
import io.postern.mail.DeliveryAgent;
import io.postern.mail.DeliveryResult;
import io.postern.mail.EnhancedStatus;
import io.postern.mail.Envelope;
import io.postern.mail.EnvelopeRecipient;
import io.postern.mail.IncomingMessage;
import io.postern.mail.MailAddress;
import io.postern.mail.QueuedMessage;
import io.postern.queue.MailQueue;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A real JVM for the crash test: {@code accept DIR DELIVERIES N THREADS} takes N messages
 * concurrently through the queue's sink (every 10th is aborted), printing {@code BEGIN n} before
 * each commit and {@code ACK n id} after its 250-equivalent; {@code drain DIR DELIVERIES} runs
 * until the queue is empty and prints {@code DRAINED}. The agent appends {@code n recipient id}
 * to DELIVERIES (unbuffered, so a SIGKILL loses nothing written) and, like any agent that must
 * be exactly-once, answers a second offer of a recipient already in its file without appending.
 */
public final class CrashChild {
    private static final Pattern SEQ = Pattern.compile("X-Seq: (\\d+)");

    private CrashChild() {
    }

    public static void main(String[] args) throws Exception {
        String mode = args[0];
        Path dir = Path.of(args[1]);
        Path deliveries = Path.of(args[2]);
        QueueConfig config = new QueueConfig(dir, Duration.ofDays(5), List.of(Duration.ofSeconds(1)), 4, 20, 1000,
                Duration.ofSeconds(1), Duration.ZERO, 256, Duration.ZERO, 32, 50_000, Optional.empty());
        try (MailQueue queue = MailQueue.start(config, "mx.example.test",
                MailAddress.parse("postmaster@example.test").orElseThrow(), new SimpleMeterRegistry(),
                Clock.systemUTC(), io.postern.queue.IoHooks.NONE)) {
            queue.setDeliveryAgent(new AppendingAgent(deliveries));
            if (mode.equals("accept")) {
                accept(queue, Integer.parseInt(args[3]), Integer.parseInt(args[4]));
                say("ALL-ACKED");
                Thread.sleep(Long.MAX_VALUE);
            } else {
                queue.recovered().get();
                long deadline = System.nanoTime() + Duration.ofSeconds(90).toNanos();
                while (System.nanoTime() < deadline && envelopes(dir) > 0) {
                    Thread.sleep(20);
                }
                say(envelopes(dir) == 0 ? "DRAINED" : "NOT-DRAINED");
            }
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
        Envelope envelope = new Envelope(MailAddress.parse("sender@example.test"),
                List.of(EnvelopeRecipient.of(MailAddress.parse("r1@a.example").orElseThrow()),
                        EnvelopeRecipient.of(MailAddress.parse("r2@b.example").orElseThrow())),
                Envelope.BodyType.SEVEN_BIT, false, Optional.empty(), Optional.empty(),
                new Envelope.SessionTrace("127.0.0.1", "localhost", "localhost", "ESMTP", Optional.empty(),
                        Optional.empty(), Instant.now()));
        IncomingMessage m = queue.sink().open(envelope);
        byte[] bytes = ("X-Seq: " + n + "\r\nSubject: crash test " + n + "\r\n\r\n" + "x".repeat(2000) + "\r\n")
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

    private static synchronized void say(String line) {
        System.out.println(line);
        System.out.flush();
    }

    /** Appends one line per recipient; answers a recipient already in the file as delivered. */
    static final class AppendingAgent implements DeliveryAgent {
        private final Path file;
        private final Set<String> done = new HashSet<>();

        AppendingAgent(Path file) throws IOException {
            this.file = file;
            if (Files.exists(file)) {
                for (String line : Files.readAllLines(file)) {
                    String[] f = line.split(" ");
                    if (f.length == 3) {
                        done.add(f[0] + " " + f[1]);
                    }
                }
            }
        }

        @Override
        public CompletableFuture<List<DeliveryResult>> deliver(QueuedMessage message, List<EnvelopeRecipient> recipients) {
            String seq;
            try (InputStream in = message.content().open()) {
                Matcher m = SEQ.matcher(new String(in.readNBytes(100), StandardCharsets.US_ASCII));
                seq = m.find() ? m.group(1) : "?";
            } catch (IOException e) {
                return CompletableFuture.completedFuture(recipients.stream()
                        .map(r -> DeliveryResult.deferred(r, EnhancedStatus.of("4.3.0"), e.toString())).toList());
            }
            List<DeliveryResult> results = new ArrayList<>();
            for (EnvelopeRecipient r : recipients) {
                String key = seq + " " + r.address();
                synchronized (this) {
                    if (!done.add(key)) {
                        say("REOFFER " + key);
                    } else {
                        try {
                            Files.writeString(file, key + " " + message.queueId() + "\n", StandardOpenOption.CREATE,
                                    StandardOpenOption.APPEND);
                        } catch (IOException e) {
                            done.remove(key);
                            results.add(DeliveryResult.deferred(r, EnhancedStatus.of("4.3.0"), e.toString()));
                            continue;
                        }
                    }
                }
                results.add(DeliveryResult.delivered(r, "appended", Optional.empty()));
            }
            try {
                Thread.sleep(1); // a little latency, so a backlog builds up under load
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return CompletableFuture.completedFuture(results);
        }
    }
}
