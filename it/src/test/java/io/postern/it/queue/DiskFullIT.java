package io.postern.it.queue;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.postern.config.QueueConfig;
import io.postern.it.support.ExternalProcess;
import io.postern.mail.DeliveryResult;
import io.postern.mail.Envelope;
import io.postern.mail.EnvelopeRecipient;
import io.postern.mail.IncomingMessage;
import io.postern.mail.MailAddress;
import io.postern.mail.SinkException;
import io.postern.queue.IoHooks;
import io.postern.queue.MailQueue;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A real full file system: the queue on a 512 KiB tmpfs (needs root to mount; skipped otherwise).
 * Filling it must end in {@code 4.3.1} with every acknowledged message intact and nothing
 * half-written visible; growing the file system must let the same running queue accept again.
 */
class DiskFullIT {
    @TempDir
    Path work;

    private static ExternalProcess.Result sh(Path cwd, String... command) throws Exception {
        return ExternalProcess.run(cwd, Duration.ofSeconds(10), List.of(command));
    }

    private static Envelope envelope() {
        return new Envelope(MailAddress.parse("sender@example.test"),
                List.of(EnvelopeRecipient.of(MailAddress.parse("rcpt@example.net").orElseThrow())),
                Envelope.BodyType.SEVEN_BIT, false, Optional.empty(), Optional.empty(),
                new Envelope.SessionTrace("127.0.0.1", "localhost", "localhost", "ESMTP", Optional.empty(),
                        Optional.empty(), Instant.now()));
    }

    /** Returns the queue id, or the SinkException that refused the message. */
    private static Object offer(MailQueue queue, byte[] body) throws Exception {
        try {
            IncomingMessage m = queue.sink().open(envelope());
            m.write(body, 0, body.length);
            return m.commit().get().queueId();
        } catch (SinkException e) {
            return e;
        } catch (ExecutionException e) {
            return e.getCause();
        }
    }

    @Test
    void fullFileSystemAnswers431AndRecoversWhenSpaceReturns() throws Exception {
        Path mount = work.resolve("small");
        Files.createDirectories(mount);
        ExternalProcess.Result mounted = sh(work, "mount", "-t", "tmpfs", "-o", "size=512k", "tmpfs", mount.toString());
        Assumptions.assumeTrue(mounted.exitCode() == 0, "cannot mount a tmpfs here: " + mounted.output());
        try {
            Path dir = mount.resolve("queue");
            Set<String> delivered = ConcurrentHashMap.newKeySet();
            try (MailQueue queue = MailQueue.start(new QueueConfig(dir, Duration.ofDays(5)), "mx.example.test",
                    MailAddress.parse("postmaster@example.test").orElseThrow(), new SimpleMeterRegistry(),
                    Clock.systemUTC(), IoHooks.NONE)) {
                byte[] body = ("Subject: fill\r\n\r\n" + "y".repeat(20_000) + "\r\n").getBytes();
                List<String> acked = new ArrayList<>();
                Object last = null;
                for (int i = 0; i < 200; i++) {
                    last = offer(queue, body);
                    if (!(last instanceof String id)) {
                        break;
                    }
                    acked.add(id);
                }
                assertThat(last).isInstanceOf(SinkException.class);
                assertThat(((SinkException) last).enhancedCode()).hasToString("4.3.1");
                assertThat(acked).hasSizeBetween(5, 30);
                for (String id : acked) {
                    assertThat(Files.size(dir.resolve("messages").resolve(id + ".msg"))).isEqualTo(body.length);
                    assertThat(dir.resolve("messages").resolve(id + ".env")).exists();
                }
                try (var s = Files.list(dir.resolve("messages"))) {
                    assertThat(s.count()).isEqualTo(2L * acked.size()); // nothing half-committed visible
                }
                try (var s = Files.list(dir.resolve("tmp"))) {
                    assertThat(s.toList()).isEmpty();
                }
                // Still full: still refused, still nothing left behind.
                assertThat(offer(queue, body)).isInstanceOf(SinkException.class);

                assertThat(sh(work, "mount", "-o", "remount,size=4m", mount.toString()).exitCode()).isZero();
                Object after = offer(queue, body);
                assertThat(after).isInstanceOf(String.class);
                acked.add((String) after);

                queue.setDeliveryAgent((message, recipients) -> {
                    delivered.add(message.queueId());
                    return CompletableFuture.completedFuture(recipients.stream()
                            .map(r -> DeliveryResult.delivered(r, "ok", Optional.empty())).toList());
                });
                long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
                while (delivered.size() < acked.size() && System.nanoTime() < deadline) {
                    Thread.sleep(20);
                }
                assertThat(delivered).containsExactlyInAnyOrderElementsOf(acked);
            }
        } finally {
            sh(work, "umount", mount.toString());
        }
    }
}
