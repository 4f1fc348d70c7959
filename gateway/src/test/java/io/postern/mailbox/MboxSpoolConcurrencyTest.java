package io.postern.mailbox;

import static org.assertj.core.api.Assertions.assertThat;

import io.postern.delivery.MboxWriter;
import io.postern.mail.MemoryContent;
import io.postern.mail.MailAddress;
import io.postern.mail.MessageContent;
import io.postern.testing.Await;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** POP3 deleting from an mbox while the MDA appends to it: no delivered message may be lost. */
class MboxSpoolConcurrencyTest {
    @TempDir
    Path dir;

    private static MessageContent content(String subject) {
        return new MemoryContent(("Subject: " + subject + "\r\n\r\nbody of " + subject + "\r\n")
                .getBytes(StandardCharsets.US_ASCII));
    }

    @Test
    void deletingWhileDeliveriesAppendLosesNoDeliveredMessage() throws Exception {
        Path mbox = dir.resolve("alice");
        MboxWriter writer = new MboxWriter(Duration.ofSeconds(20), Duration.ofMinutes(10));
        Optional<MailAddress> sender = MailAddress.parse("bob@example.test");
        for (int i = 0; i < 20; i++) {
            writer.deliver(mbox, sender, new byte[0], content("old-" + i));
        }
        MboxSpool snapshot = MboxSpool.scan(mbox);
        assertThat(snapshot.messages()).hasSize(20);
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try {
            Future<?> appends = pool.submit(() -> {
                for (int i = 0; i < 200; i++) {
                    writer.deliver(mbox, sender, new byte[0], content("new-" + i));
                }
                return null;
            });
            Set<Integer> all = new java.util.HashSet<>();
            for (int i = 0; i < 20; i++) {
                all.add(i);
            }
            Future<UpdateResult> deleted = pool.submit(() -> snapshot.delete(all));
            assertThat(deleted.get()).isEqualTo(new UpdateResult.Done(20));
            appends.get();
        } finally {
            pool.shutdownNow();
        }
        String text = Files.readString(mbox, StandardCharsets.US_ASCII);
        assertThat(text).doesNotContain("Subject: old-");
        for (int i = 0; i < 200; i++) {
            assertThat(text).contains("Subject: new-" + i + "\n");
        }
        assertThat(MboxSpool.scan(mbox).messages()).hasSize(200);
        assertThat(Files.exists(dir.resolve("alice.lock"))).isFalse();
    }

    @Test
    void aDeliveryHoldingTheDotLockMakesDeleteWaitNotLose() throws Exception {
        Path mbox = dir.resolve("bob");
        MboxWriter writer = new MboxWriter(Duration.ofSeconds(5), Duration.ofMinutes(10));
        writer.deliver(mbox, Optional.empty(), new byte[0], content("one"));
        MboxSpool snapshot = MboxSpool.scan(mbox);
        Path dotLock = dir.resolve("bob.lock");
        Files.writeString(dotLock, "12345\n");
        java.util.concurrent.CompletableFuture<UpdateResult> deleted = new java.util.concurrent.CompletableFuture<>();
        Thread deleter = Thread.ofPlatform().start(() -> deleted.complete(snapshot.delete(Set.of(0))));
        // Sleeping between tries means it is waiting for the lock: then the delivery lets go.
        Await.until("the delete to wait for the dot-lock",
                () -> deleter.getState() == Thread.State.TIMED_WAITING || !deleter.isAlive());
        assertThat(deleted).as("gave up instead of waiting").isNotDone();
        Files.delete(dotLock);
        deleter.join();
        assertThat(deleted.join()).isEqualTo(new UpdateResult.Done(1));
        assertThat(MboxSpool.scan(mbox).messages()).isEmpty();
    }
}
