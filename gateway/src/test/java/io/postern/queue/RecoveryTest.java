package io.postern.queue;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What a restart does with what a crash left behind. */
class RecoveryTest {
    @TempDir
    Path dir;

    @Test
    void tmpIsClearedOrphansRemovedDamagedFilesQuarantinedGoodMessagesDelivered() throws Exception {
        String good;
        String damaged;
        String truncated;
        try (MailQueue queue = QueueFixture.start(QueueFixture.config(dir), Clock.systemUTC(), IoHooks.NONE)) {
            good = QueueFixture.accept(queue, QueueFixture.envelope("alice@example.test", "bob@example.net"),
                    QueueFixture.message("good")).queueId();
            damaged = QueueFixture.accept(queue, QueueFixture.envelope("alice@example.test", "bob@example.net"),
                    QueueFixture.message("damaged")).queueId();
            truncated = QueueFixture.accept(queue, QueueFixture.envelope("alice@example.test", "bob@example.net"),
                    QueueFixture.message("truncated")).queueId();
        }
        Path messages = dir.resolve("messages");
        // A crash mid-receive, a crash between the two renames, a damaged envelope, a short content file.
        Files.writeString(dir.resolve("tmp").resolve("0000000000000001.msg"), "half a message");
        Files.writeString(messages.resolve("0000000000000002.msg"), "content whose envelope never arrived");
        Files.writeString(messages.resolve(damaged + ".env"), "garbage\n");
        Files.writeString(messages.resolve(truncated + ".msg"), "short");

        QueueFixture.ScriptedAgent agent = new QueueFixture.ScriptedAgent();
        try (MailQueue queue = QueueFixture.start(QueueFixture.config(dir), Clock.systemUTC(), IoHooks.NONE)) {
            assertThat(queue.recovered().get()).isEqualTo(1);
            queue.setDeliveryAgent(agent);
            QueueFixture.await("queue.show(good).isEmpty()", () -> queue.show(good).isEmpty());
        }
        assertThat(agent.offers).hasSize(1);
        assertThat(agent.offers.get(0).queueId()).isEqualTo(good);
        try (var s = Files.list(dir.resolve("tmp"))) {
            assertThat(s.toList()).isEmpty();
        }
        try (var s = Files.list(messages)) {
            assertThat(s.toList()).isEmpty();
        }
        assertThat(dir.resolve("corrupt").resolve(damaged + ".env")).exists();
        assertThat(dir.resolve("corrupt").resolve(truncated + ".msg")).exists();
    }

    @Test
    void aMessageQueuedWhileTheClockWasAheadIsRecoveredAndItsIdNeverReused() throws Exception {
        Instant ahead = Instant.now().plusSeconds(3600);
        String early;
        try (MailQueue queue = QueueFixture.start(QueueFixture.config(dir), new QueueFixture.FakeClock(ahead),
                IoHooks.NONE)) {
            early = QueueFixture.accept(queue, QueueFixture.envelope("alice@example.test", "bob@example.net"),
                    QueueFixture.message("queued while the clock was ahead")).queueId();
        }

        // The clock was set back (an NTP step after a reboot): the clock's ids are now below the old one.
        QueueFixture.ScriptedAgent agent = new QueueFixture.ScriptedAgent();
        String later;
        try (MailQueue queue = QueueFixture.start(QueueFixture.config(dir), Clock.systemUTC(), IoHooks.NONE)) {
            assertThat(queue.recovered().get()).as("messages recovered").isEqualTo(1);
            later = QueueFixture.accept(queue, QueueFixture.envelope("carol@example.test", "dave@example.net"),
                    QueueFixture.message("queued after the clock went back")).queueId();
            assertThat(QueueId.parse(later)).as("new id above every id on disk").isGreaterThan(QueueId.parse(early));
            queue.setDeliveryAgent(agent);
            QueueFixture.await("the new message delivered", () -> queue.show(later).isEmpty());
            // Its next attempt is where the earlier run put it, an hour from now: kept, not lost.
            assertThat(queue.show(early)).isPresent();
        }
        assertThat(agent.offers).extracting(QueueFixture.Offer::queueId).containsExactly(later);
        assertThat(dir.resolve("messages").resolve(early + ".env")).exists();
    }
}
