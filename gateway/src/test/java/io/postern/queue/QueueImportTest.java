package io.postern.queue;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code postern queue import}: a stopped node's queue moves into this one, each message exactly once. */
class QueueImportTest {
    @TempDir
    Path work;

    private List<String> fill(Path dir, int count) throws Exception {
        List<String> ids = new ArrayList<>();
        try (MailQueue queue = QueueFixture.start(QueueFixture.config(dir), Clock.systemUTC(), IoHooks.NONE)) {
            for (int n = 0; n < count; n++) {
                ids.add(QueueFixture.accept(queue, QueueFixture.envelope("alice@example.test", "bob@example.net"),
                        QueueFixture.message("import " + n)).queueId());
            }
        }
        return ids;
    }

    /** Starts the target queue, lets it deliver everything, returns offers per subject. */
    private Map<String, Long> deliver(Path dir, int expected) throws Exception {
        QueueFixture.ScriptedAgent agent = new QueueFixture.ScriptedAgent();
        try (MailQueue queue = QueueFixture.start(QueueFixture.config(dir), Clock.systemUTC(), IoHooks.NONE)) {
            assertThat(queue.recovered().get()).isEqualTo(expected);
            queue.setDeliveryAgent(agent);
            QueueFixture.await("the imported queue to be empty", () -> QueueFixture.envelopeCountUnchecked(dir) == 0);
        }
        return agent.offers.stream().map(o -> o.content().lines().filter(l -> l.startsWith("Subject: "))
                .findFirst().orElseThrow()).collect(Collectors.groupingBy(Function.identity(), Collectors.counting()));
    }

    @Test
    void everyMessageOfTheForeignQueueIsDeliveredExactlyOnceByTheLocalOne() throws Exception {
        Path foreign = work.resolve("foreign");
        Path local = work.resolve("local");
        List<String> ids = fill(foreign, 25);
        fill(local, 0);

        QueueImport.Report report = QueueImport.run(foreign, local);

        assertThat(report.imported()).isEqualTo(25);
        assertThat(report.leftBehind()).isEmpty();
        assertThat(QueueFixture.envelopeCount(foreign)).isZero();
        try (var s = Files.list(foreign.resolve("messages"))) {
            assertThat(s.toList()).isEmpty();
        }
        for (String id : ids) {
            assertThat(local.resolve("messages").resolve(id + ".env")).exists();
        }
        Map<String, Long> delivered = deliver(local, 25);
        assertThat(delivered).hasSize(25).allSatisfy((subject, times) -> assertThat(times).as(subject).isEqualTo(1));
        // A second run finds nothing to do.
        assertThat(QueueImport.run(foreign, local).imported()).isZero();
    }

    @Test
    void damagedIncompleteAndTemporaryFilesStayAndAreReported() throws Exception {
        Path foreign = work.resolve("foreign");
        Path local = work.resolve("local");
        List<String> ids = fill(foreign, 4);
        Path messages = foreign.resolve("messages");
        Files.writeString(messages.resolve(ids.get(0) + ".env"), "garbage\n");
        Files.writeString(messages.resolve(ids.get(1) + ".msg"), "short");
        Files.delete(messages.resolve(ids.get(2) + ".env"));
        Files.writeString(foreign.resolve("tmp").resolve("0000000000000001.msg"), "half a message");

        QueueImport.Report report = QueueImport.run(foreign, local);

        assertThat(report.imported()).isEqualTo(1);
        assertThat(local.resolve("messages").resolve(ids.get(3) + ".env")).exists();
        assertThat(report.leftBehind()).extracting(l -> l.file().getFileName().toString()).containsExactlyInAnyOrder(
                ids.get(0) + ".env", ids.get(1) + ".env", ids.get(2) + ".msg", "0000000000000001.msg");
        assertThat(report.text()).contains("damaged: truncated").contains("content missing or of the wrong size")
                .contains("content without envelope").contains("temporary file");
        assertThat(messages.resolve(ids.get(0) + ".env")).exists();
        assertThat(messages.resolve(ids.get(1) + ".env")).exists();
        assertThat(local.resolve("messages").resolve(ids.get(0) + ".msg")).doesNotExist();
        assertThat(deliver(local, 1)).containsOnlyKeys("Subject: import 3");
    }

    @Test
    void aQueueThatALiveNodeHoldsIsRefused() throws Exception {
        Path foreign = work.resolve("foreign");
        Path local = work.resolve("local");
        fill(foreign, 2);
        try (MailQueue _ = QueueFixture.start(QueueFixture.config(foreign), Clock.systemUTC(), IoHooks.NONE)) {
            assertThatThrownBy(() -> QueueImport.run(foreign, local)).isInstanceOf(QueueImport.RefusedException.class)
                    .hasMessageContaining("in use by a running node");
        }
        try (MailQueue _ = QueueFixture.start(QueueFixture.config(local), Clock.systemUTC(), IoHooks.NONE)) {
            assertThatThrownBy(() -> QueueImport.run(foreign, local)).isInstanceOf(QueueImport.RefusedException.class)
                    .hasMessageContaining("stop it first");
        }
        assertThat(QueueFixture.envelopeCount(foreign)).isEqualTo(2);
        assertThatThrownBy(() -> QueueImport.run(work.resolve("nothing"), local))
                .hasMessageContaining("not a queue directory");
    }

    @Test
    void anIdTakenInTheLocalQueueIsLeftNotOverwritten() throws Exception {
        Path foreign = work.resolve("foreign");
        Path local = work.resolve("local");
        List<String> ids = fill(foreign, 1);
        Path messages = local.resolve("messages");
        Files.createDirectories(messages);
        Files.writeString(messages.resolve(ids.get(0) + ".msg"), "another message's content");

        QueueImport.Report report = QueueImport.run(foreign, local);

        assertThat(report.imported()).isZero();
        assertThat(report.text()).contains("is in use in the local queue");
        assertThat(Files.readString(messages.resolve(ids.get(0) + ".msg"))).isEqualTo("another message's content");
        assertThat(QueueFixture.envelopeCount(foreign)).isEqualTo(1);
    }

    @Test
    void aRunInterruptedAfterItsCommitPointIsFinishedByTheNext() throws Exception {
        Path foreign = work.resolve("foreign");
        Path local = work.resolve("local");
        List<String> ids = fill(foreign, 3);
        class Crash extends RuntimeException {
        }
        // Stops (as kill -9 would) at each durable step of the second message in turn.
        for (String step : List.of("link", "commit", "cleanup")) {
            assertThatThrownBy(() -> QueueImport.run(foreign, local, (s, id) -> {
                if (s.equals(step) && id.equals(ids.get(1))) {
                    throw new Crash();
                }
            })).isInstanceOf(Crash.class);
        }
        QueueImport.Report report = QueueImport.run(foreign, local);
        assertThat(report.leftBehind()).isEmpty();
        try (var s = Files.list(foreign.resolve("messages"))) {
            assertThat(s.toList()).isEmpty();
        }
        assertThat(deliver(local, 3)).hasSize(3).allSatisfy((subject, times) -> assertThat(times).isEqualTo(1));
    }
}
