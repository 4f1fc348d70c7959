package io.postern.mailbox;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MailboxLockTest {
    @TempDir
    Path dir;

    private final Duration lease = Duration.ofSeconds(30);

    private static Clock at(long millis) {
        return Clock.fixed(Instant.ofEpochMilli(millis), ZoneOffset.UTC);
    }

    @Test
    void secondHolderIsRefusedWhileTheLeaseRuns() throws Exception {
        Path spool = dir.resolve("alice");
        var first = MailboxLock.acquire(spool, "node-a", lease, at(1_000_000));
        assertThat(first).isInstanceOf(MailboxLock.Attempt.Acquired.class);
        var second = MailboxLock.acquire(spool, "node-b", lease, at(1_000_000 + 29_000));
        assertThat(second).isInstanceOfSatisfying(MailboxLock.Attempt.Held.class,
                held -> assertThat(held.holder()).startsWith("node=node-a pid="));
        assertThat(Files.readString(dir.resolve("alice.pop3.lock"))).contains("expires=1030000");
        try (Stream<Path> files = Files.list(dir)) {
            assertThat(files.map(p -> p.getFileName().toString())).containsExactly("alice.pop3.lock");
        }
    }

    @Test
    void expiredLockOfADeadHolderIsTakenOver() throws Exception {
        Path spool = dir.resolve("alice");
        var dead = (MailboxLock.Attempt.Acquired) MailboxLock.acquire(spool, "node-a", lease, at(1_000_000));
        var taker = MailboxLock.acquire(spool, "node-b", lease, at(1_000_000 + 30_001));
        assertThat(taker).isInstanceOf(MailboxLock.Attempt.Acquired.class);
        assertThat(Files.readString(dir.resolve("alice.pop3.lock"))).startsWith("node=node-b ");
        // The old holder wakes up: it must notice it lost the lock and not delete anything.
        assertThat(dead.lock().refresh()).isFalse();
        assertThat(dead.lock().held()).isFalse();
        dead.lock().release();
        assertThat(Files.readString(dir.resolve("alice.pop3.lock"))).startsWith("node=node-b ");
    }

    @Test
    void refreshExtendsTheLease() throws Exception {
        Path spool = dir.resolve("alice");
        java.util.concurrent.atomic.AtomicLong now = new java.util.concurrent.atomic.AtomicLong(1_000_000);
        Clock clock = new Clock() {
            @Override
            public java.time.ZoneId getZone() {
                return java.time.ZoneOffset.UTC;
            }

            @Override
            public Clock withZone(java.time.ZoneId zone) {
                return this;
            }

            @Override
            public java.time.Instant instant() {
                return java.time.Instant.ofEpochMilli(now.get());
            }
        };
        var lock = ((MailboxLock.Attempt.Acquired) MailboxLock.acquire(spool, "node-a", lease, clock)).lock();
        long before = MailboxLock.expiresOf(Files.readString(dir.resolve("alice.pop3.lock")));
        now.addAndGet(5);
        assertThat(lock.refresh()).isTrue();
        long after = MailboxLock.expiresOf(Files.readString(dir.resolve("alice.pop3.lock")));
        assertThat(after).isGreaterThan(before);
        lock.release();
        assertThat(dir.resolve("alice.pop3.lock")).doesNotExist();
    }

    @Test
    void garbageLockFileCountsAsExpired() throws Exception {
        Files.writeString(dir.resolve("alice.pop3.lock"), "not a lock");
        assertThat(MailboxLock.acquire(dir.resolve("alice"), "node-a", lease, Clock.systemUTC()))
                .isInstanceOf(MailboxLock.Attempt.Acquired.class);
    }
}
