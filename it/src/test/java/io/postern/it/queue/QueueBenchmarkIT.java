package io.postern.it.queue;

import ch.qos.logback.classic.Level;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.postern.config.QueueConfig;
import io.postern.mail.Envelope;
import io.postern.mail.EnvelopeRecipient;
import io.postern.mail.IncomingMessage;
import io.postern.mail.MailAddress;
import io.postern.queue.IoHooks;
import io.postern.queue.MailQueue;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.slf4j.LoggerFactory;

/**
 * Accepted messages per second through the queue's sink (group commit) against the machine's
 * plain fsync rate, in the same directory. Not part of the default build: run with
 * {@code -Dpostern.bench=true} (see docs/benchmarks.md). Prints one line per measurement.
 */
@EnabledIfSystemProperty(named = "postern.bench", matches = "true")
class QueueBenchmarkIT {
    private static final Duration RUN = Duration.ofSeconds(Long.getLong("postern.bench.seconds", 5));
    private static final byte[] BODY = ("Subject: benchmark\r\n\r\n" + "x".repeat(2000) + "\r\n")
            .getBytes(StandardCharsets.US_ASCII);

    @Test
    void acceptRateVersusFsyncRate() throws Exception {
        ((ch.qos.logback.classic.Logger) LoggerFactory.getLogger("io.postern")).setLevel(Level.WARN);
        Path base = Path.of(System.getProperty("postern.bench.dir", "target/queue-bench")).toAbsolutePath();
        Files.createDirectories(base);
        double fsyncRate = fsyncRate(base.resolve("fsync"));
        System.out.printf("bench fsync: %.0f fsyncs/s (create 2 KiB file, write, fsync; one thread)%n", fsyncRate);
        for (int threads : new int[] {1, 16, 64, 256}) {
            Path dir = base.resolve("queue-" + threads + "-" + System.nanoTime());
            QueueConfig config = new QueueConfig(dir, Duration.ofDays(5));
            AtomicLong accepted = new AtomicLong();
            MailQueue queue = MailQueue.start(config, "bench.example.test",
                    MailAddress.parse("postmaster@example.test").orElseThrow(), new SimpleMeterRegistry(),
                    Clock.systemUTC(), IoHooks.NONE);
            long start = System.nanoTime();
            long end = start + RUN.toNanos();
            try (ExecutorService pool = Executors.newFixedThreadPool(threads)) {
                List<Future<?>> futures = new ArrayList<>();
                for (int t = 0; t < threads; t++) {
                    futures.add(pool.submit(() -> {
                        while (System.nanoTime() < end) {
                            IncomingMessage m = queue.sink().open(envelope());
                            m.write(BODY, 0, BODY.length);
                            m.commit().get();
                            accepted.incrementAndGet();
                        }
                        return null;
                    }));
                }
                for (Future<?> f : futures) {
                    f.get();
                }
            }
            double seconds = (System.nanoTime() - start) / 1e9;
            queue.close();
            System.out.printf("bench queue: %d concurrent senders: %.0f messages/s (%.2fx the fsync rate)%n",
                    threads, accepted.get() / seconds, accepted.get() / seconds / fsyncRate);
            deleteTree(dir);
        }
    }

    private static Envelope envelope() {
        return new Envelope(MailAddress.parse("sender@example.test"),
                List.of(EnvelopeRecipient.of(MailAddress.parse("rcpt@example.net").orElseThrow())),
                Envelope.BodyType.SEVEN_BIT, false, Optional.empty(), Optional.empty(),
                new Envelope.SessionTrace("127.0.0.1", "localhost", "localhost", "ESMTP", Optional.empty(),
                        Optional.empty(), Instant.now()));
    }

    private static double fsyncRate(Path dir) throws Exception {
        Files.createDirectories(dir);
        long start = System.nanoTime();
        long end = start + RUN.toNanos();
        long count = 0;
        while (System.nanoTime() < end) {
            Path file = dir.resolve("f" + count);
            try (FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
                ch.write(ByteBuffer.wrap(BODY));
                ch.force(true);
            }
            count++;
        }
        double rate = count / ((System.nanoTime() - start) / 1e9);
        deleteTree(dir);
        return rate;
    }

    private static void deleteTree(Path dir) throws Exception {
        try (var walk = Files.walk(dir)) {
            for (Path p : walk.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }
}
