package io.postern.it.queue;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.postern.config.QueueConfig;
import io.postern.it.support.ExternalProcess;
import io.postern.mail.DeliveryAgent;
import io.postern.mail.DeliveryResult;
import io.postern.mail.Envelope;
import io.postern.mail.EnvelopeRecipient;
import io.postern.mail.IncomingMessage;
import io.postern.mail.MailAddress;
import io.postern.mail.QueuedMessage;
import io.postern.queue.IoHooks;
import io.postern.queue.MailQueue;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code kill -9} of a JVM importing a stopped node's queue, five times at random steps, then a
 * run to the end: the local queue holds every message exactly once, the foreign one none, and the
 * local node delivers each message exactly once (the agent counts, it does not deduplicate).
 */
class ImportCrashIT {
    private static final int MESSAGES = 300;
    private static final Pattern SEQ = Pattern.compile("X-Seq: (\\d+)");

    @TempDir
    Path work;

    private ExternalProcess child(String name, Path source, Path target) throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        return ExternalProcess.start(name, work, List.of(java, "-Xmx128m", "-cp", System.getProperty("java.class.path"),
                ImportCrashChild.class.getName(), source.toString(), target.toString()));
    }

    private static QueueConfig config(Path dir) {
        return new QueueConfig(dir, Duration.ofDays(5));
    }

    private static MailQueue start(Path dir) throws Exception {
        return MailQueue.start(config(dir), "mx.example.test", MailAddress.parse("postmaster@example.test")
                .orElseThrow(), new SimpleMeterRegistry(), Clock.systemUTC(), IoHooks.NONE);
    }

    private static long steps(ExternalProcess p) throws Exception {
        return p.logText().lines().filter(l -> l.startsWith("STEP ")).count();
    }

    private static long files(Path dir, String suffix) throws Exception {
        try (Stream<Path> s = Files.list(dir.resolve("messages"))) {
            return s.filter(p -> p.toString().endsWith(suffix)).count();
        }
    }

    @Test
    void killNineAtRandomStepsThenARerunMovesEveryMessageExactlyOnce() throws Exception {
        Path foreign = work.resolve("foreign");
        Path local = work.resolve("local");
        try (MailQueue queue = start(foreign)) {
            for (int n = 0; n < MESSAGES; n++) {
                IncomingMessage m = queue.sink().open(new Envelope(MailAddress.parse("sender@example.test"),
                        List.of(EnvelopeRecipient.of(MailAddress.parse("r@a.example").orElseThrow())),
                        Envelope.BodyType.SEVEN_BIT, false, Optional.empty(), Optional.empty(),
                        new Envelope.SessionTrace("127.0.0.1", "localhost", "localhost", "ESMTP", Optional.empty(),
                                Optional.empty(), Instant.now())));
                byte[] bytes = ("X-Seq: " + n + "\r\n\r\n" + "x".repeat(500) + "\r\n").getBytes(StandardCharsets.US_ASCII);
                m.write(bytes, 0, bytes.length);
                m.commit().get();
            }
        }
        try (MailQueue queue = start(local)) {
            queue.recovered().get(); // an empty local queue with its layout
        }

        Random random = new Random();
        long seed = random.nextLong();
        random.setSeed(seed);
        List<String> killedAt = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            ExternalProcess importer = child("import" + i, foreign, local);
            long threshold = 1 + random.nextInt(150);
            long deadline = System.nanoTime() + Duration.ofSeconds(120).toNanos();
            while (importer.isAlive() && steps(importer) < threshold && System.nanoTime() < deadline) {
                Thread.sleep(5);
            }
            importer.kill();
            List<String> lines = importer.logText().lines().filter(l -> l.startsWith("STEP ")).toList();
            killedAt.add(lines.isEmpty() ? "before any step" : lines.getLast());
            assertThat(importer.logText()).as("killed before the end").doesNotContain("DONE");
        }
        ExternalProcess last = child("import-final", foreign, local);
        last.awaitLog(Duration.ofSeconds(120), "DONE");
        assertThat(last.exitCode()).isZero();
        System.out.printf("import crash test: seed=%d killed at %s; final run: %s%n", seed, killedAt,
                last.logText().lines().filter(l -> l.startsWith("DONE")).findFirst().orElse(""));
        assertThat(last.logText()).contains("left=0");

        assertThat(files(foreign, ".env")).isZero();
        assertThat(files(foreign, ".msg")).isZero();
        assertThat(files(local, ".env")).isEqualTo(MESSAGES);
        assertThat(files(local, ".msg")).isEqualTo(MESSAGES);

        Map<String, AtomicInteger> offered = new ConcurrentHashMap<>();
        DeliveryAgent counting = (QueuedMessage message, List<EnvelopeRecipient> recipients) -> {
            try (InputStream in = message.content().open()) {
                Matcher m = SEQ.matcher(new String(in.readNBytes(40), StandardCharsets.US_ASCII));
                offered.computeIfAbsent(m.find() ? m.group(1) : "?", k -> new AtomicInteger()).incrementAndGet();
            } catch (java.io.IOException e) {
                return CompletableFuture.failedFuture(e);
            }
            return CompletableFuture.completedFuture(recipients.stream()
                    .map(r -> DeliveryResult.delivered(r, "250 ok", Optional.empty())).toList());
        };
        try (MailQueue queue = start(local)) {
            assertThat(queue.recovered().get()).isEqualTo(MESSAGES);
            queue.setDeliveryAgent(counting);
            long deadline = System.nanoTime() + Duration.ofSeconds(120).toNanos();
            while (files(local, ".env") > 0 && System.nanoTime() < deadline) {
                Thread.sleep(20);
            }
        }
        assertThat(files(local, ".env")).isZero();
        assertThat(offered).hasSize(MESSAGES);
        for (int n = 0; n < MESSAGES; n++) {
            assertThat(offered.get(String.valueOf(n))).as("message " + n).isNotNull();
            assertThat(offered.get(String.valueOf(n)).get()).as("message " + n).isEqualTo(1);
        }
    }
}
