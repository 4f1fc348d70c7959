package io.postern.delivery;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.postern.config.FileAccess;
import io.postern.testing.TestContent;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Maildir deliveries on a real file system sharing real {@code syncfs} calls. */
class SharedSyncDeliveryTest {
    private static final int THREADS = 8;
    private static final int PER_THREAD = 10;

    @TempDir
    Path dir;

    private Syncfs syncfs() {
        assumeTrue(Syncfs.available().isPresent(), "syncfs needs Linux: " + Syncfs.load());
        return Syncfs.available().get();
    }

    private long device() throws IOException {
        return (Long) Files.getAttribute(dir, "unix:dev");
    }

    private static byte[] message(int thread, int i) {
        return ("Subject: " + thread + "-" + i + "\r\n\r\n" + "x".repeat(100 * i) + "\r\n")
                .getBytes(StandardCharsets.US_ASCII);
    }

    @Test
    void concurrentDeliveriesIntoManyMaildirsLandWhole_withFewerSyncsThanDeliveries() throws Exception {
        Syncfs syncfs = syncfs();
        int fd = syncfs.openDirectory(dir);
        SyncPoint[] point = new SyncPoint[1];
        AtomicBoolean first = new AtomicBoolean(true);
        point[0] = new SyncPoint(() -> {
            if (first.getAndSet(false)) {
                // Hold the first sync until every other thread waits for the next one, so that sharing is certain.
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
                while (point[0].waiting() < THREADS - 1 && System.nanoTime() < deadline) {
                    Thread.onSpinWait();
                }
            }
            syncfs.sync(fd);
        }, dir.toString());
        MaildirWriter writer = new MaildirWriter("node-a", Clock.systemUTC(), FileAccess.OWNER_ONLY,
                MaildirDurability.shared(device(), point[0]));
        byte[] prefix = "Delivered-To: x@example.test\r\n".getBytes(StandardCharsets.US_ASCII);

        ExecutorService pool = Executors.newFixedThreadPool(THREADS);
        List<Future<List<Path>>> done = new ArrayList<>();
        for (int t = 0; t < THREADS; t++) {
            int thread = t;
            done.add(pool.submit(() -> {
                List<Path> files = new ArrayList<>();
                for (int i = 0; i < PER_THREAD; i++) {
                    files.add(writer.deliver(dir.resolve("user" + thread), prefix, new io.postern.mail.MemoryContent(message(thread, i))));
                }
                return files;
            }));
        }
        for (int t = 0; t < THREADS; t++) {
            List<Path> files = done.get(t).get(60, TimeUnit.SECONDS);
            for (int i = 0; i < PER_THREAD; i++) {
                assertThat(files.get(i).getParent()).isEqualTo(dir.resolve("user" + t).resolve("new"));
                byte[] expected = (new String(prefix, StandardCharsets.US_ASCII)
                        + new String(message(t, i), StandardCharsets.US_ASCII)).getBytes(StandardCharsets.US_ASCII);
                assertThat(Files.readAllBytes(files.get(i))).isEqualTo(expected);
            }
            try (Stream<Path> tmp = Files.list(dir.resolve("user" + t).resolve("tmp"))) {
                assertThat(tmp).isEmpty();
            }
        }
        pool.shutdown();
        int deliveries = THREADS * PER_THREAD;
        assertThat(point[0].syncs()).as("syncs for %d concurrent deliveries", deliveries)
                .isLessThanOrEqualTo(deliveries - THREADS + 2);
        assertThat(point[0].failures()).isZero();
    }

    @Test
    void oneDeliveryAtATimeCostsOneSyncEach() throws Exception {
        Syncfs syncfs = syncfs();
        int fd = syncfs.openDirectory(dir);
        SyncPoint point = new SyncPoint(() -> syncfs.sync(fd), dir.toString());
        MaildirWriter writer = new MaildirWriter("node-a", Clock.systemUTC(), FileAccess.OWNER_ONLY,
                MaildirDurability.shared(device(), point));

        for (int i = 0; i < 5; i++) {
            writer.deliverAs(dir.resolve("alice"), "1795687200.Q" + i, new byte[0], new io.postern.mail.MemoryContent(message(0, i)));
        }

        assertThat(point.syncs()).isEqualTo(5);
        try (Stream<Path> files = Files.list(dir.resolve("alice/new"))) {
            assertThat(files).hasSize(5);
        }
    }

    @Test
    void aFailedSharedSyncRemovesTheLinkedFileSoThatARetryWritesItAgain() throws Exception {
        SyncPoint point = new SyncPoint(() -> {
            throw new IOException("syncfs failed: errno 5 (Input/output error)");
        }, dir.toString());
        MaildirWriter writer = new MaildirWriter("node-a", Clock.systemUTC(), FileAccess.OWNER_ONLY,
                MaildirDurability.shared(device(), point));
        Path alice = dir.resolve("alice");

        assertThatThrownBy(() -> writer.deliverAs(alice, "1795687200.Q1", new byte[0], TestContent.of("body\r\n")))
                .isInstanceOf(IOException.class).hasMessageContaining("Input/output error");
        assertThatThrownBy(() -> writer.deliver(alice, new byte[0], TestContent.of("body\r\n")))
                .isInstanceOf(IOException.class);

        assertThat(alice.resolve("new")).isEmptyDirectory();
        assertThat(alice.resolve("tmp")).isEmptyDirectory();
        assertThat(writer.find(alice, "1795687200.Q1", 6)).isEmpty();
    }

    @Test
    void sharedSyncDeliveriesNeverMakeAnEntryInTmp_andATwinsNameIsKept() throws Exception {
        assumeTrue(UnnamedFiles.available().isPresent(), "O_TMPFILE needs Linux with /proc");
        Syncfs syncfs = syncfs();
        int fd = syncfs.openDirectory(dir);
        SyncPoint point = new SyncPoint(() -> syncfs.sync(fd), dir.toString());
        MaildirWriter writer = new MaildirWriter("node-a", Clock.systemUTC(), FileAccess.OWNER_ONLY,
                MaildirDurability.shared(device(), point));
        Path alice = dir.resolve("alice");
        writer.deliver(alice, new byte[0], TestContent.of("first\r\n"));
        Object tmpModified = Files.getAttribute(alice.resolve("tmp"), "lastModifiedTime");

        Path unique = writer.deliver(alice, new byte[0], TestContent.of("second\r\n"));
        Path keyed = writer.deliverAs(alice, "1795687200.Q7", "X: 1\r\n".getBytes(StandardCharsets.US_ASCII),
                TestContent.of("third\r\n"));
        Path twin = writer.deliverAs(alice, "1795687200.Q7", "X: 2\r\n".getBytes(StandardCharsets.US_ASCII),
                TestContent.of("third\r\n"));

        assertThat(Files.getAttribute(alice.resolve("tmp"), "lastModifiedTime")).as("tmp/ untouched")
                .isEqualTo(tmpModified);
        assertThat(alice.resolve("tmp")).isEmptyDirectory();
        assertThat(Files.readString(unique)).isEqualTo("second\r\n");
        assertThat(unique.getFileName().toString()).endsWith(".node-a,S=8");
        assertThat(twin).isEqualTo(keyed);
        assertThat(keyed.getFileName().toString()).isEqualTo("1795687200.Q7.node-a,S=13");
        assertThat(Files.readString(keyed)).isEqualTo("X: 1\r\nthird\r\n");
        assertThat(point.syncs()).isGreaterThanOrEqualTo(4);
    }

    @Test
    void aFileSystemWithoutUnnamedFilesDeliversThroughTmp() throws Exception {
        Syncfs syncfs = syncfs();
        int fd = syncfs.openDirectory(dir);
        SyncPoint point = new SyncPoint(() -> syncfs.sync(fd), dir.toString());
        MaildirWriter writer = new MaildirWriter("node-a", Clock.systemUTC(), FileAccess.OWNER_ONLY,
                MaildirDurability.shared(device(), point), java.util.Optional.empty());
        Path alice = dir.resolve("alice");
        writer.deliver(alice, new byte[0], TestContent.of("first\r\n"));
        Object tmpModified = Files.getAttribute(alice.resolve("tmp"), "lastModifiedTime");

        Path keyed = writer.deliverAs(alice, "1795687200.Q8", new byte[0], TestContent.of("second\r\n"));

        assertThat(Files.readString(keyed)).isEqualTo("second\r\n");
        assertThat(alice.resolve("tmp")).isEmptyDirectory();
        assertThat(Files.getAttribute(alice.resolve("tmp"), "lastModifiedTime")).as("written through tmp/")
                .isNotEqualTo(tmpModified);
    }

    @Test
    void aMaildirOnAnotherFileSystemKeepsPerFileFsyncs() throws Exception {
        SyncPoint point = new SyncPoint(() -> {
            throw new AssertionError("not this file system's sync");
        }, "elsewhere");
        MaildirWriter writer = new MaildirWriter("node-a", Clock.systemUTC(), FileAccess.OWNER_ONLY,
                MaildirDurability.shared(device() + 1, point));

        Path file = writer.deliver(dir.resolve("alice"), new byte[0], TestContent.of("body\r\n"));

        assertThat(Files.readString(file)).isEqualTo("body\r\n");
        assertThat(point.syncs()).isZero();
    }

    @Test
    void aCopyCountsOnlyWhenItBeginsLikeOursAndEndsWithTheWholeBody() throws Exception {
        byte[] head = "Return-Path: <".getBytes(StandardCharsets.US_ASCII);
        var content = TestContent.of("Received: from front by worker-b\r\nSubject: hi\r\n\r\nbody\r\nmore\r\n");
        Path file = dir.resolve("copy");

        // Written by another worker: its own Received line, the same body.
        Files.writeString(file, "Return-Path: <a@b>\r\nDelivered-To: c@d\r\nReceived: from front by worker-a\r\n"
                + "Subject: hi\r\n\r\nbody\r\nmore\r\n");
        assertThat(MaildirWriter.holds(file, head, content)).isTrue();

        // Torn by a power loss: empty, zeros, the body cut short or stale blocks.
        Files.write(file, new byte[0]);
        assertThat(MaildirWriter.holds(file, head, content)).isFalse();
        Files.write(file, new byte[90]);
        assertThat(MaildirWriter.holds(file, head, content)).isFalse();
        Files.writeString(file, "Return-Path: <a@b>\r\nDelivered-To: c@d\r\nSubject: hi\r\n\r\nbody\r\n\0\0\0\0\0\0");
        assertThat(MaildirWriter.holds(file, head, content)).isFalse();
        Files.writeString(file, "Return-Path: <a@b>\r\nDelivered-To: c@d\r\nSubject: hi\r\n\r\nbody\r\n");
        assertThat(MaildirWriter.holds(file, head, content)).isFalse();
        Files.writeString(file, "From old mail of another user\r\n\r\nbody\r\nmore\r\n");
        assertThat(MaildirWriter.holds(file, head, content)).isFalse();
    }
}
