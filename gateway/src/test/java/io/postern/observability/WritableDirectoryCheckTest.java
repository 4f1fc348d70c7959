package io.postern.observability;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class WritableDirectoryCheckTest {
    @TempDir
    Path temp;

    @Test
    void aWritableDirectoryIsReady() {
        assertThat(new WritableDirectoryCheck("queue", temp).check().ready()).isTrue();
    }

    @Test
    void aDirectoryNotYetCreatedUnderAWritableOneIsReady() {
        assertThat(new WritableDirectoryCheck("spool", temp.resolve("var/spool")).check().ready()).isTrue();
    }

    @Test
    void aPathUnderARegularFileIsNotReady() throws Exception {
        Path file = Files.writeString(temp.resolve("not-a-dir"), "x");
        ReadinessCheck.Status status = new WritableDirectoryCheck("queue", file.resolve("queue")).check();
        assertThat(status.ready()).isFalse();
        assertThat(status.detail()).contains("not a directory");
    }

    @Test
    void aReadOnlyDirectoryIsNotReady() throws Exception {
        assumeFalse("root".equals(System.getProperty("user.name")), "root may write anywhere");
        Path dir = Files.createDirectory(temp.resolve("ro"));
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("r-xr-xr-x"));
        try {
            assertThat(new WritableDirectoryCheck("spool", dir).check().ready()).isFalse();
        } finally {
            Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
        }
    }
}
