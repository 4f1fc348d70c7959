package io.postern.queue;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.postern.mail.Acceptance;
import io.postern.mail.EnhancedStatus;
import io.postern.mail.IncomingMessage;
import io.postern.mail.SinkException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class GroupCommitTest {
    @TempDir
    Path dir;

    /** Counts real fsyncs (they still happen: the hook only looks). */
    static final class CountingHooks implements IoHooks {
        final AtomicInteger fsyncs = new AtomicInteger();
        final AtomicBoolean diskFull = new AtomicBoolean();

        @Override
        public void beforeWrite(Path file) throws IOException {
            if (diskFull.get()) {
                throw new IOException("No space left on device");
            }
        }

        @Override
        public void beforeFsync(Path file) {
            fsyncs.incrementAndGet();
        }
    }

    @Test
    void oneMessageAloneCostsThreeFsyncs() throws Exception {
        CountingHooks hooks = new CountingHooks();
        try (MailQueue queue = QueueFixture.start(QueueFixture.config(dir), Clock.systemUTC(), hooks)) {
            for (int i = 0; i < 5; i++) {
                QueueFixture.accept(queue, QueueFixture.envelope("alice@example.test", "bob@example.net"),
                        QueueFixture.message("one " + i));
            }
            // content + envelope + the messages/ directory, one commit at a time
            assertThat(hooks.fsyncs.get()).isEqualTo(15);
        }
    }

    @Test
    void concurrentCommitsShareDirectorySyncs() throws Exception {
        CountingHooks hooks = new CountingHooks();
        int threads = 32;
        int perThread = 20;
        int total = threads * perThread;
        List<String> ids = new ArrayList<>();
        try (MailQueue queue = QueueFixture.start(QueueFixture.config(dir), Clock.systemUTC(), hooks);
             ExecutorService pool = Executors.newFixedThreadPool(threads)) {
            List<Future<List<String>>> futures = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                int thread = t;
                futures.add(pool.submit(() -> {
                    List<String> mine = new ArrayList<>();
                    for (int i = 0; i < perThread; i++) {
                        Acceptance a = QueueFixture.accept(queue,
                                QueueFixture.envelope("alice@example.test", "bob@example.net"),
                                QueueFixture.message("t" + thread + " m" + i));
                        mine.add(a.queueId());
                    }
                    return mine;
                }));
            }
            for (Future<List<String>> f : futures) {
                ids.addAll(f.get());
            }
            assertThat(new HashSet<>(ids)).hasSize(total);
            for (String id : ids) {
                assertThat(dir.resolve("messages").resolve(id + ".env")).exists();
                assertThat(dir.resolve("messages").resolve(id + ".msg")).exists();
            }
            assertThat(queue.batchCount()).isLessThan(total);
            // Sequentially this would be 3 per message; batches share the directory fsync.
            assertThat(hooks.fsyncs.get()).isLessThan(3 * total).isEqualTo((int) queue.fsyncCount());
            assertThat(QueueFixture.envelopeCount(dir)).isEqualTo(total);
        }
    }

    @Test
    void diskFullAnswers431LeavesNothingAndRecovers() throws Exception {
        CountingHooks hooks = new CountingHooks();
        try (MailQueue queue = QueueFixture.start(QueueFixture.config(dir), Clock.systemUTC(), hooks)) {
            IncomingMessage m = queue.sink().open(QueueFixture.envelope("alice@example.test", "bob@example.net"));
            byte[] big = new byte[200_000];
            hooks.diskFull.set(true);
            assertThatThrownBy(() -> m.write(big, 0, big.length)).isInstanceOf(SinkException.class)
                    .satisfies(e -> assertThat(((SinkException) e).enhancedCode()).isEqualTo(EnhancedStatus.STORAGE_TEMPORARY));
            assertThatThrownBy(() -> m.write(big, 0, 10)).isInstanceOf(SinkException.class);
            assertThatThrownBy(() -> m.commit().get()).cause().isInstanceOf(SinkException.class);
            assertThatThrownBy(() -> queue.sink().open(QueueFixture.envelope("alice@example.test", "bob@example.net")))
                    .isInstanceOf(SinkException.class);

            // A small message fits the buffer; the failure shows at commit, as a failed future.
            hooks.diskFull.set(false);
            IncomingMessage small = queue.sink().open(QueueFixture.envelope("alice@example.test", "bob@example.net"));
            byte[] bytes = QueueFixture.message("small").getBytes(StandardCharsets.UTF_8);
            small.write(bytes, 0, bytes.length);
            hooks.diskFull.set(true);
            assertThatThrownBy(() -> small.commit().get()).isInstanceOf(ExecutionException.class)
                    .cause().isInstanceOf(SinkException.class);

            assertThat(files(dir.resolve("messages"))).isEmpty();
            assertThat(files(dir.resolve("tmp"))).isEmpty();

            hooks.diskFull.set(false);
            Acceptance ok = QueueFixture.accept(queue, QueueFixture.envelope("alice@example.test", "bob@example.net"),
                    QueueFixture.message("after"));
            assertThat(dir.resolve("messages").resolve(ok.queueId() + ".env")).exists();
        }
    }

    @Test
    void failedFsyncIsNotAcknowledged() throws Exception {
        AtomicBoolean failSync = new AtomicBoolean();
        IoHooks hooks = new IoHooks() {
            @Override
            public void beforeFsync(Path file) throws IOException {
                if (failSync.get()) {
                    throw new IOException("EIO");
                }
            }
        };
        try (MailQueue queue = QueueFixture.start(QueueFixture.config(dir), Clock.systemUTC(), hooks)) {
            failSync.set(true);
            assertThatThrownBy(() -> QueueFixture.accept(queue,
                    QueueFixture.envelope("alice@example.test", "bob@example.net"), QueueFixture.message("x")))
                    .hasCauseInstanceOf(SinkException.class);
            assertThat(files(dir.resolve("messages"))).isEmpty();
        }
    }

    @Test
    void abortDeletesTheTemporaryFile() throws Exception {
        try (MailQueue queue = QueueFixture.start(QueueFixture.config(dir), Clock.systemUTC(), IoHooks.NONE)) {
            IncomingMessage m = queue.sink().open(QueueFixture.envelope("alice@example.test", "bob@example.net"));
            m.write(new byte[10], 0, 10);
            assertThat(files(dir.resolve("tmp"))).hasSize(1);
            m.abort();
            m.abort();
            assertThat(files(dir.resolve("tmp"))).isEmpty();
        }
    }

    @Test
    void secondQueueOnTheSameDirectoryIsRefused() throws Exception {
        try (MailQueue queue = QueueFixture.start(QueueFixture.config(dir), Clock.systemUTC(), IoHooks.NONE)) {
            assertThatThrownBy(() -> QueueFixture.start(QueueFixture.config(dir), Clock.systemUTC(), IoHooks.NONE))
                    .isInstanceOf(IOException.class).hasMessageContaining("in use");
        }
    }

    private static Set<Path> files(Path d) throws IOException {
        try (Stream<Path> s = Files.list(d)) {
            return new HashSet<>(s.toList());
        }
    }
}
