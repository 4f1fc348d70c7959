package io.postern.queue;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
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
}
