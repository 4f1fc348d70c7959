package io.postern.delivery;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.postern.mail.MailAddress;
import io.postern.testing.TestContent;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileTime;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MboxWriterTest {
    private static final Clock CLOCK = Clock.fixed(Instant.parse("2026-03-05T07:08:09Z"), ZoneOffset.UTC);
    private static final Optional<MailAddress> SENDER = MailAddress.parse("bob@remote.test");

    @TempDir
    Path dir;

    private MboxWriter writer(Duration timeout, MboxWriter.ChannelOpener opener) {
        return new MboxWriter(timeout, Duration.ofMinutes(10), opener, CLOCK);
    }

    private static MboxWriter.ChannelOpener realFiles() {
        return f -> FileChannel.open(f, StandardOpenOption.CREATE, StandardOpenOption.WRITE, StandardOpenOption.READ);
    }

    @Test
    void appendsWithMboxrdQuotingAndLfLineEnds() throws IOException {
        Path mbox = dir.resolve("mail/alice");
        MboxWriter writer = writer(Duration.ofSeconds(5), realFiles());
        byte[] prefix = "Delivered-To: alice@example.test\r\n".getBytes(StandardCharsets.US_ASCII);
        String body = "Subject: x\r\n\r\nFrom here\r\n>From there\r\n>>From far\r\nFrom\r\n Fromage\r\nFrozen\r\nend";

        writer.deliver(mbox, SENDER, prefix, TestContent.of(body));
        writer.deliver(mbox, Optional.empty(), new byte[0], TestContent.of("Subject: y\r\n\r\nFrom\r\n"));

        assertThat(Files.readString(mbox)).isEqualTo("""
                From bob@remote.test Thu Mar  5 07:08:09 2026
                Delivered-To: alice@example.test
                Subject: x

                >From here
                >>From there
                >>>From far
                From
                 Fromage
                Frozen
                end

                From MAILER-DAEMON Thu Mar  5 07:08:09 2026
                Subject: y

                From

                """);
        assertThat(dir.resolve("mail/alice.lock")).doesNotExist();
    }

    @Test
    void quotingStreamsLongQuoteRunsAndSplitWrites() throws IOException {
        ByteArrayOutputStream sink = new ByteArrayOutputStream();
        MboxrdOutput out = new MboxrdOutput(sink);
        String text = ">".repeat(5000) + "From x\r\nFr\r";
        for (byte b : text.getBytes(StandardCharsets.US_ASCII)) {
            out.write(b);
        }
        out.finishMessage();
        assertThat(sink.toString(StandardCharsets.US_ASCII)).isEqualTo(">".repeat(5001) + "From x\nFr\r\n\n");
    }

    @Test
    void aFailedAppendIsTruncatedBackToTheOldEnd() throws IOException {
        Path mbox = dir.resolve("alice");
        writer(Duration.ofSeconds(5), realFiles()).deliver(mbox, SENDER, new byte[0], TestContent.of("Subject: 1\r\n\r\nok\r\n"));
        byte[] before = Files.readAllBytes(mbox);

        MboxWriter failing = writer(Duration.ofSeconds(5), f -> new FailingChannel(
                FileChannel.open(f, StandardOpenOption.WRITE, StandardOpenOption.READ), 100));
        String big = "Subject: 2\r\n\r\n" + "line of text\r\n".repeat(10_000);
        assertThatThrownBy(() -> failing.deliver(mbox, SENDER, new byte[0], TestContent.of(big)))
                .hasMessageContaining("injected");

        assertThat(Files.readAllBytes(mbox)).isEqualTo(before);
        assertThat(dir.resolve("alice.lock")).doesNotExist();
    }

    @Test
    void waitsForAHeldDotLockThenTimesOut() throws IOException {
        Path mbox = dir.resolve("alice");
        Files.writeString(dir.resolve("alice.lock"), "1\n");
        Files.setLastModifiedTime(dir.resolve("alice.lock"), FileTime.from(CLOCK.instant()));
        MboxWriter writer = writer(Duration.ofMillis(200), realFiles());

        assertThatThrownBy(() -> writer.deliver(mbox, SENDER, new byte[0], TestContent.of("x\r\n")))
                .isInstanceOf(MboxWriter.LockTimeout.class);
        assertThat(mbox).doesNotExist();
        assertThat(dir.resolve("alice.lock")).exists();
    }

    @Test
    void breaksAStaleDotLock() throws IOException {
        Path mbox = dir.resolve("alice");
        Files.writeString(dir.resolve("alice.lock"), "1\n");
        Files.setLastModifiedTime(dir.resolve("alice.lock"), FileTime.from(CLOCK.instant().minus(Duration.ofHours(1))));

        writer(Duration.ofSeconds(5), realFiles()).deliver(mbox, SENDER, new byte[0], TestContent.of("x\r\n"));

        assertThat(Files.readString(mbox)).endsWith("x\n\n");
        assertThat(dir.resolve("alice.lock")).doesNotExist();
    }

    @Test
    void breaksAFreshDotLockLeftByADeadProcessOfThisHostAtOnce() throws Exception {
        Path mbox = dir.resolve("carol");
        Process dead = new ProcessBuilder("true").start();
        dead.waitFor();
        String host = java.net.InetAddress.getLocalHost().getHostName();
        Files.writeString(dir.resolve("carol.lock"), dead.pid() + " " + host + "\n");
        Files.setLastModifiedTime(dir.resolve("carol.lock"), FileTime.from(CLOCK.instant()));

        writer(Duration.ofSeconds(5), realFiles()).deliver(mbox, SENDER, new byte[0], TestContent.of("x\r\n"));

        assertThat(Files.readString(mbox)).endsWith("x\n\n");
        assertThat(dir.resolve("carol.lock")).doesNotExist();
    }

    @Test
    void keepsAFreshDotLockOfALiveProcessOrAnotherHost() throws Exception {
        Path mbox = dir.resolve("dave");
        Files.writeString(dir.resolve("dave.lock"), ProcessHandle.current().parent().orElseThrow().pid() + " "
                + java.net.InetAddress.getLocalHost().getHostName() + "\n");
        Files.setLastModifiedTime(dir.resolve("dave.lock"), FileTime.from(CLOCK.instant()));
        assertThatThrownBy(() -> writer(Duration.ofMillis(200), realFiles())
                .deliver(mbox, SENDER, new byte[0], TestContent.of("x\r\n")))
                .isInstanceOf(MboxWriter.LockTimeout.class);
        Files.writeString(dir.resolve("dave.lock"), "1 some-other-node\n");
        assertThatThrownBy(() -> writer(Duration.ofMillis(200), realFiles())
                .deliver(mbox, SENDER, new byte[0], TestContent.of("x\r\n")))
                .isInstanceOf(MboxWriter.LockTimeout.class);
    }

    @Test
    void waitsForAHeldFcntlLock() throws IOException {
        Path mbox = dir.resolve("alice");
        try (FileChannel other = FileChannel.open(mbox, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
             FileLock held = other.lock()) {
            MboxWriter writer = writer(Duration.ofMillis(200), realFiles());
            assertThatThrownBy(() -> writer.deliver(mbox, SENDER, new byte[0], TestContent.of("x\r\n")))
                    .isInstanceOf(MboxWriter.LockTimeout.class);
            assertThat(held.isValid()).isTrue();
        }
        assertThat(Files.size(mbox)).isZero();
        assertThat(dir.resolve("alice.lock")).doesNotExist();
    }
}
