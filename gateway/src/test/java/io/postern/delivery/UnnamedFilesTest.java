package io.postern.delivery;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code O_TMPFILE} files on the real file system under the test's temporary folder (ext4 here). */
class UnnamedFilesTest {
    @TempDir
    Path dir;

    private UnnamedFiles files;

    @BeforeEach
    void bind() throws Exception {
        assumeTrue(UnnamedFiles.available().isPresent(), "O_TMPFILE needs Linux with /proc");
        files = UnnamedFiles.available().get();
        Files.createDirectories(dir.resolve("tmp"));
        Files.createDirectories(dir.resolve("new"));
    }

    @Test
    void aFileWrittenInChunksLargerThanItsBufferGetsItsNameWithEveryByteAndTheMode() throws Exception {
        byte[] body = "0123456789abcdef".repeat(1000).getBytes(StandardCharsets.US_ASCII); // 16,000 bytes
        Path target = dir.resolve("new/message");

        try (UnnamedFiles.UnnamedFile file = files.open(dir.resolve("tmp"), 0600, 4096)) {
            file.write(body, 0, 7);
            file.write(body, 7, body.length - 7);
            file.link(target);
        }

        assertThat(Files.readAllBytes(target)).isEqualTo(body);
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(target))).isEqualTo("rw-------");
        assertThat(dir.resolve("tmp")).isEmptyDirectory();
    }

    @Test
    void aFileNeverLinkedLeavesNothingAndTheFolderIsNotTouched() throws Exception {
        Object before = Files.getAttribute(dir.resolve("tmp"), "lastModifiedTime");

        try (UnnamedFiles.UnnamedFile file = files.open(dir.resolve("tmp"), 0600, 16)) {
            file.write(new byte[100], 0, 100);
        }

        assertThat(dir.resolve("tmp")).isEmptyDirectory();
        // No entry was ever made in tmp/: its modification time is what it was.
        assertThat(Files.getAttribute(dir.resolve("tmp"), "lastModifiedTime")).isEqualTo(before);
    }

    @Test
    void aTakenNameIsNeverReplaced() throws Exception {
        Path target = dir.resolve("new/message");
        Files.writeString(target, "first");

        try (UnnamedFiles.UnnamedFile file = files.open(dir.resolve("tmp"), 0600, 16)) {
            file.write("second".getBytes(StandardCharsets.US_ASCII), 0, 6);
            assertThatThrownBy(() -> file.link(target)).isInstanceOf(FileAlreadyExistsException.class)
                    .hasMessageContaining(target.toString());
        }

        assertThat(Files.readString(target)).isEqualTo("first");
    }

    @Test
    void aMissingFolderIsNoSuchFile() {
        assertThatThrownBy(() -> files.open(dir.resolve("absent"), 0600, 16)).isInstanceOf(NoSuchFileException.class);
        assertThatThrownBy(() -> {
            try (UnnamedFiles.UnnamedFile file = files.open(dir.resolve("tmp"), 0600, 16)) {
                file.link(dir.resolve("gone/message"));
            }
        }).isInstanceOf(NoSuchFileException.class);
    }

    @Test
    void chmodSetsGroupBitsTheUmaskMayHaveCleared() throws Exception {
        Path target = dir.resolve("new/shared");
        try (UnnamedFiles.UnnamedFile file = files.open(dir.resolve("tmp"), 0640, 16)) {
            file.chmod(0640);
            file.link(target);
        }
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(target))).isEqualTo("rw-r-----");
    }
}
