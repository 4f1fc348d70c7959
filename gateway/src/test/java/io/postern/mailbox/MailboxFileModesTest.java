package io.postern.mailbox;

import static org.assertj.core.api.Assertions.assertThat;

import io.postern.config.FileAccess;
import io.postern.config.SpoolFormat;
import io.postern.mail.MailAddress;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.time.Duration;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What a POP3 session creates in a spool (its lock, {@code cur/}) gets the spool's mode too (issue 19, item 9). */
class MailboxFileModesTest {
    @TempDir
    Path base;

    @Test
    void theLockAndCurAreOwnerOnly() throws IOException {
        Files.setPosixFilePermissions(base, PosixFilePermissions.fromString("rwxr-xr-x"));
        Path maildir = base.resolve("example.test/alice");
        Files.createDirectories(maildir.resolve("new"));
        Files.writeString(maildir.resolve("new/1700000001.M1P1.node-a"), "Subject: x\r\n\r\nx\r\n",
                StandardCharsets.US_ASCII);
        try (MailboxStore store = new MailboxStore(new SpoolLayout(base, "{domain}/{localpart}", FileAccess.OWNER_ONLY),
                SpoolFormat.MAILDIR, "node-a", Duration.ofMinutes(1), Clock.systemUTC())) {
            OpenResult result = store.open(new MailAddress("alice", "example.test"), Optional.empty());
            assertThat(result).isInstanceOf(OpenResult.Opened.class);
            try (OpenMailbox mailbox = ((OpenResult.Opened) result).mailbox()) {
                assertThat(mode(MailboxLock.lockPathOf(maildir))).isEqualTo("rw-------");
                mailbox.markSeen(0);
                assertThat(mode(maildir.resolve("cur"))).isEqualTo("rwx------");
            }
        }
    }

    private static String mode(Path path) throws IOException {
        return PosixFilePermissions.toString(Files.getPosixFilePermissions(path));
    }
}
