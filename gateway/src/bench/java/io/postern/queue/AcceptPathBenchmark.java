package io.postern.queue;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.postern.config.QueueConfig;
import io.postern.mail.Acceptance;
import io.postern.mail.DeliveryResult;
import io.postern.mail.DirectDelivery;
import io.postern.mail.Envelope;
import io.postern.mail.EnvelopeRecipient;
import io.postern.mail.IncomingMessage;
import io.postern.mail.MailAddress;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The accept hot path of issue 15, guarded against regressions (run on purpose:
 * {@code scripts/bench-hot-path.sh}, never by the test command). {@code accept} takes a 4 KiB
 * message from {@code open} to the durable {@code 250} through the real {@link MailQueue} on the
 * disk under {@code -Dpostern.bench.dir} (default {@code target/hot-path-bench}):
 * <ul>
 * <li>{@code queue}: no direct delivery, so every message is written, fsync'd and committed to
 *   the queue (the path of remote mail and of the {@code front} role);</li>
 * <li>{@code direct}: role {@code all} with every recipient local; the direct delivery answers
 *   "delivered" at once, so this measures the sink's own cost when no queue file is made (the
 *   spool write is the MDA's, measured by scripts/bench-delivery.sh).</li>
 * </ul>
 * {@code codec} encodes and decodes one queue record (what the delivery side no longer does for a
 * message its node has just committed). Sample time: p50 and p99 per operation.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
@Threads(4)
public class AcceptPathBenchmark {
    @Param({"queue", "direct"})
    String mode;

    private Path dir;
    private MailQueue queue;
    private Envelope envelope;
    private byte[] message;
    private byte[] record;

    @Setup(Level.Trial)
    public void setUp() throws IOException {
        dir = Files.createTempDirectory(Files.createDirectories(Path.of(System.getProperty("postern.bench.dir",
                "target/hot-path-bench"))), "queue-");
        queue = MailQueue.start(new QueueConfig(dir, Duration.ofDays(5)), "mx.example.test",
                MailAddress.parse("postmaster@example.test").orElseThrow(), new SimpleMeterRegistry(),
                Clock.systemUTC(), IoHooks.NONE);
        if (mode.equals("direct")) {
            queue.setDirectDelivery((m, recipients) -> {
                try (InputStream in = m.content().open()) {
                    in.transferTo(java.io.OutputStream.nullOutputStream());
                } catch (IOException e) {
                    return CompletableFuture.failedFuture(e);
                }
                List<DeliveryResult> results = recipients.stream()
                        .map(r -> DeliveryResult.delivered(r, "delivered to mailbox", Optional.empty())).toList();
                return CompletableFuture.completedFuture(Optional.of(results));
            });
        }
        envelope = new Envelope(MailAddress.parse("load@remote.example.org"),
                List.of(EnvelopeRecipient.of(MailAddress.parse("user00001@example.test").orElseThrow())),
                Envelope.BodyType.EIGHT_BIT_MIME, false, Optional.empty(), Optional.empty(),
                new Envelope.SessionTrace("127.0.0.1", "load.example.org", "load.example.org", "ESMTP",
                        Optional.empty(), Optional.empty(), Instant.now()));
        StringBuilder text = new StringBuilder("From: load@remote.example.org\r\nSubject: bench\r\n\r\n");
        while (text.length() < 4096) {
            text.append("x".repeat(76)).append("\r\n");
        }
        message = text.toString().getBytes(StandardCharsets.US_ASCII);
        record = QueueRecordCodec.encode(QueueRecord.fresh(1, envelope, message.length, QueueRecord.Origin.MESSAGE,
                Instant.now()));
    }

    @TearDown(Level.Trial)
    public void tearDown() throws IOException {
        queue.close();
        try (Stream<Path> files = Files.walk(dir)) {
            for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }

    @Benchmark
    public Acceptance accept() throws Exception {
        IncomingMessage m = queue.sink().open(envelope);
        m.write(message, 0, message.length);
        return m.commit().join();
    }

    @Benchmark
    public QueueRecord codec() throws Exception {
        return QueueRecordCodec.decode(record);
    }
}
