package io.postern.delivery;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.postern.mail.MemoryContent;
import io.postern.testing.TestContent;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.postern.config.ConfigException;
import io.postern.config.ConfigLoader;
import io.postern.config.FileAccess;
import io.postern.config.SecretResolver;
import io.postern.config.SpoolConfig;
import io.postern.config.SpoolFormat;
import io.postern.directory.Recipient;
import io.postern.mail.MailAddress;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Spool files hold mail: delivery creates them readable by the node's user only, whatever the
 * process umask, or by a configured group (issue 19, item 9).
 */
class SpoolFileModesTest {
    private static final MemoryContent MESSAGE = TestContent.of("Subject: private\r\n\r\nHi.\r\n");
    private static final MailAddress ALICE = new MailAddress("alice", "example.test");

    @TempDir
    Path base;
    private Path spool;

    @BeforeEach
    void openParent() throws IOException {
        // The parent is world-readable, as /var/lib usually is: nothing below it may be.
        Files.setPosixFilePermissions(base, PosixFilePermissions.fromString("rwxr-xr-x"));
        spool = base.resolve("spool");
    }

    @Test
    void maildirFoldersAre0700AndFiles0600() throws IOException {
        LocalDelivery delivery = new LocalDelivery(new SpoolConfig(spool, SpoolFormat.MAILDIR, "{domain}/{localpart}"),
                "node-a", new SimpleMeterRegistry());
        Recipient.Mailbox alice = new Recipient.Mailbox(ALICE, "uid=alice", Optional.empty(), OptionalLong.of(1_000_000),
                false);
        delivery.deliver(Optional.empty(), MESSAGE, alice, ALICE);
        // The second delivery finds the Maildir and writes maildirsize.
        Path file = ((LocalOutcome.Delivered) delivery.deliver(Optional.empty(), MESSAGE, alice, ALICE)).file();
        Path maildir = spool.resolve("example.test/alice");
        for (Path dir : List.of(spool, spool.resolve("example.test"), maildir, maildir.resolve("new"),
                maildir.resolve("cur"), maildir.resolve("tmp"))) {
            assertThat(mode(dir)).as(dir.toString()).isEqualTo("rwx------");
        }
        assertThat(mode(file)).isEqualTo("rw-------");
        assertThat(mode(maildir.resolve("maildirsize"))).isEqualTo("rw-------");
    }

    @Test
    void mboxFileJournalAndFoldersAreOwnerOnly() throws IOException {
        MboxWriter writer = new MboxWriter(Duration.ofSeconds(5), Duration.ofMinutes(10), FileAccess.OWNER_ONLY);
        Path mbox = spool.resolve("example.test/alice");
        assertThat(writer.deliverOnce(mbox, Optional.empty(), new byte[0], MESSAGE, "1.Q1_abcdef012345", false)).isTrue();
        assertThat(mode(spool)).isEqualTo("rwx------");
        assertThat(mode(spool.resolve("example.test"))).isEqualTo("rwx------");
        assertThat(mode(mbox)).isEqualTo("rw-------");
        assertThat(mode(mbox.resolveSibling("alice.postern-journal"))).isEqualTo("rw-------");
    }

    @Test
    void aConfiguredGroupGetsTheConfiguredModeEvenPastTheUmask() throws IOException {
        String group = Files.readAttributes(base, PosixFileAttributes.class).group().getName();
        SpoolConfig config = new ConfigLoader(new SecretResolver(Map.of())).parse(yaml(
                "spool: {root: spool, fileMode: '0660', directoryMode: '0770', group: " + group + "}\n"),
                base, "test.yaml").spool();
        LocalDelivery delivery = new LocalDelivery(config, "node-a", new SimpleMeterRegistry());
        Recipient.Mailbox alice = new Recipient.Mailbox(ALICE, "uid=alice", Optional.empty(), OptionalLong.empty(), false);
        Path file = ((LocalOutcome.Delivered) delivery.deliver(Optional.empty(), MESSAGE, alice, ALICE)).file();
        // Group write survives even the usual umask 022, which a create-time mode alone would not.
        assertThat(mode(file)).isEqualTo("rw-rw----");
        assertThat(Files.readAttributes(file, PosixFileAttributes.class).group().getName()).isEqualTo(group);
        try (Stream<Path> dirs = Files.walk(spool).filter(Files::isDirectory)) {
            assertThat(dirs.toList()).isNotEmpty().allSatisfy(d -> assertThat(mode(d)).as(d.toString()).isEqualTo("rwxrwx---"));
        }
    }

    @Test
    void modesThatLetOthersReadAreRefused() {
        assertThatThrownBy(() -> new ConfigLoader(new SecretResolver(Map.of()))
                .parse(yaml("spool: {fileMode: '0644', directoryMode: '755', group: 'bad group'}\n"), base, "t.yaml"))
                .isInstanceOf(ConfigException.class).hasMessageContaining("spool.fileMode")
                .hasMessageContaining("spool.directoryMode").hasMessageContaining("spool.group");
        assertThatThrownBy(() -> new ConfigLoader(new SecretResolver(Map.of()))
                .parse(yaml("spool: {group: no-such-group-here}\n"), base, "t.yaml"))
                .isInstanceOf(ConfigException.class).hasMessageContaining("not a group on this system");
    }

    private static String yaml(String extra) {
        return "node: {hostname: mx.test}\n"
                + "listeners:\n  - {kind: mx, port: 2525}\n"
                + "directory: {urls: ['ldap://127.0.0.1:1'], baseDn: 'dc=example,dc=com'}\n"
                + "domains: [example.com]\n" + extra;
    }

    private static String mode(Path path) {
        try {
            return PosixFilePermissions.toString(Files.getPosixFilePermissions(path));
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
