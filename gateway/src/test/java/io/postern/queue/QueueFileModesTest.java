package io.postern.queue;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Queue files hold whole messages: folders 0700 and files 0600, whatever the umask (issue 19, item 9). */
class QueueFileModesTest {
    @TempDir
    Path base;

    @Test
    void queueFoldersAndFilesAreOwnerOnly() throws Exception {
        Files.setPosixFilePermissions(base, PosixFilePermissions.fromString("rwxr-xr-x"));
        Path dir = base.resolve("var/queue");
        try (MailQueue queue = QueueFixture.start(QueueFixture.config(dir), Clock.systemUTC(), IoHooks.NONE)) {
            QueueFixture.accept(queue, QueueFixture.envelope("alice@example.test", "bob@example.net"),
                    QueueFixture.message("private"));
            for (Path folder : List.of(base.resolve("var"), dir, dir.resolve("tmp"), dir.resolve("messages"),
                    dir.resolve("corrupt"))) {
                assertThat(mode(folder)).as(folder.toString()).isEqualTo("rwx------");
            }
            List<Path> files;
            try (Stream<Path> all = Files.walk(dir)) {
                files = all.filter(Files::isRegularFile).toList();
            }
            assertThat(files).extracting(p -> p.getFileName().toString())
                    .anyMatch(n -> n.endsWith(".env")).anyMatch(n -> n.equals("lock"));
            assertThat(files).allSatisfy(f -> assertThat(mode(f)).as(f.toString()).isEqualTo("rw-------"));
        }
    }

    private static String mode(Path path) {
        try {
            return PosixFilePermissions.toString(Files.getPosixFilePermissions(path));
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
