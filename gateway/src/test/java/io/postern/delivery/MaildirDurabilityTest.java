package io.postern.delivery;

import static org.assertj.core.api.Assertions.assertThat;

import io.postern.config.SpoolConfig;
import io.postern.config.SpoolFormat;
import io.postern.config.SpoolSync;
import java.nio.file.Path;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MaildirDurabilityTest {
    @TempDir
    Path dir;

    @Test
    void autoSharesSyncsOnlyOnLocalFileSystemsKnownToSyncFully() {
        for (String fs : new String[] {"ext4", "xfs", "btrfs"}) {
            assertThat(MaildirDurability.decide(SpoolSync.AUTO, fs, Optional.empty()).mode())
                    .as(fs).isEqualTo(SpoolSync.FILESYSTEM);
        }
        for (String fs : new String[] {"nfs", "nfs4", "tmpfs", "overlay", "cifs", "zfs", "fuse.sshfs"}) {
            MaildirDurability.Decision decision = MaildirDurability.decide(SpoolSync.AUTO, fs, Optional.empty());
            assertThat(decision.mode()).as(fs).isEqualTo(SpoolSync.FILE);
            assertThat(decision.reason()).contains(fs);
        }
    }

    @Test
    void withoutSyncfsEveryModeFallsBackToPerFileFsyncAndSaysWhy() {
        Optional<String> missing = Optional.of("the C library has no syncfs");
        for (SpoolSync wanted : SpoolSync.values()) {
            MaildirDurability.Decision decision = MaildirDurability.decide(wanted, "ext4", missing);
            assertThat(decision.mode()).as(wanted.name()).isEqualTo(SpoolSync.FILE);
        }
        assertThat(MaildirDurability.decide(SpoolSync.AUTO, "ext4", missing).reason()).contains("no syncfs");
        assertThat(MaildirDurability.decide(SpoolSync.FILESYSTEM, "ext4", missing).reason()).contains("no syncfs");
    }

    @Test
    void fileModeAndAnExplicitFilesystemModeAreHonoured() {
        assertThat(MaildirDurability.decide(SpoolSync.FILE, "ext4", Optional.empty()).mode()).isEqualTo(SpoolSync.FILE);
        assertThat(MaildirDurability.decide(SpoolSync.FILESYSTEM, "nfs4", Optional.empty()).mode())
                .isEqualTo(SpoolSync.FILESYSTEM);
    }

    @Test
    void fileModeNeverBatches() {
        SpoolConfig spool = new SpoolConfig(dir.resolve("spool"), SpoolFormat.MAILDIR, "{localpart}")
                .withSync(SpoolSync.FILE);
        assertThat(MaildirDurability.forSpool(spool).batched()).isFalse();
    }
}
