package io.postern.queue;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.postern.mail.DeliveryResult;
import io.postern.mail.EnhancedStatus;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A message's first attempt uses the record its node just wrote; later ones read the file, which stays the truth. */
class RememberedRecordTest {
    @TempDir
    Path dir;

    private final List<Path> reads = new CopyOnWriteArrayList<>();
    private final IoHooks countReads = new IoHooks() {
        @Override
        public void beforeRead(Path file) throws IOException {
            reads.add(file);
        }
    };

    private MailQueue stepped(QueueFixture.FakeClock clock) throws Exception {
        return MailQueue.startStepped(QueueFixture.config(dir), "mx.example.test",
                QueueFixture.address("postmaster@example.test"), new SimpleMeterRegistry(), clock, countReads);
    }

    @Test
    void theFirstAttemptReadsNoEnvelopeAndDeliversWhatWasAccepted() throws Exception {
        QueueFixture.FakeClock clock = new QueueFixture.FakeClock(Instant.now());
        QueueFixture.ScriptedAgent agent = new QueueFixture.ScriptedAgent();
        try (MailQueue queue = stepped(clock)) {
            queue.setDeliveryAgent(agent);
            reads.clear(); // the start-up scan
            QueueFixture.accept(queue, QueueFixture.envelopeAt(clock.instant(), "a@example.test",
                    "bob@example.net", "carol@example.net"), QueueFixture.message("one"));
            assertThat(queue.runDue()).isEqualTo(1);
            assertThat(reads).isEmpty();
            assertThat(agent.offers).hasSize(2);
            assertThat(queue.list(10, new java.util.concurrent.atomic.AtomicInteger())).isEmpty();
        }
    }

    @Test
    void aRetryReadsTheRewrittenFile() throws Exception {
        QueueFixture.FakeClock clock = new QueueFixture.FakeClock(Instant.now());
        QueueFixture.ScriptedAgent agent = new QueueFixture.ScriptedAgent();
        agent.decide = r -> DeliveryResult.deferred(r, EnhancedStatus.of("4.2.0"), "try later");
        try (MailQueue queue = stepped(clock)) {
            queue.setDeliveryAgent(agent);
            String id = QueueFixture.accept(queue, QueueFixture.envelopeAt(clock.instant(), "a@example.test",
                    "bob@example.net"), QueueFixture.message("two")).queueId();
            queue.runDue();
            reads.clear();
            agent.decide = r -> DeliveryResult.delivered(r, "ok", Optional.empty());
            clock.advance(java.time.Duration.ofMinutes(2));
            queue.runDue();
            assertThat(reads).isNotEmpty();
            assertThat(agent.offers).hasSize(2);
            assertThat(queue.show(id)).isEmpty();
        }
    }
}
