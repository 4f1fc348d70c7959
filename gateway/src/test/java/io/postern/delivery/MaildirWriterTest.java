package io.postern.delivery;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.postern.mail.MessageContent;
import io.postern.testing.TestContent;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MaildirWriterTest {
    private static final Pattern NAME =
            Pattern.compile("(\\d+)\\.M(\\d+)P(\\d+)Q(\\d+)R([0-9a-f]{8})\\.([^,/:]+),S=(\\d+)");

    @TempDir
    Path dir;

    @Test
    void createsTheMaildirAndWritesHeadersThenContentUnderAUniqueName() throws IOException {
        Clock clock = Clock.fixed(Instant.parse("2026-01-02T03:04:05.123456Z"), ZoneOffset.UTC);
        MaildirWriter writer = new MaildirWriter("node-1.example.test", clock);
        Path maildir = dir.resolve("example.test/alice");
        byte[] prefix = "Delivered-To: alice@example.test\r\n".getBytes(StandardCharsets.US_ASCII);

        Path file = writer.deliver(maildir, prefix, TestContent.of("Subject: hi\r\n\r\nbody\r\n"));

        assertThat(maildir.resolve("tmp")).isEmptyDirectory();
        assertThat(maildir.resolve("cur")).isEmptyDirectory();
        assertThat(file.getParent()).isEqualTo(maildir.resolve("new"));
        Matcher m = NAME.matcher(file.getFileName().toString());
        assertThat(m.matches()).as(file.getFileName().toString()).isTrue();
        assertThat(m.group(1)).isEqualTo(String.valueOf(clock.instant().getEpochSecond()));
        assertThat(m.group(2)).isEqualTo("123456");
        assertThat(m.group(3)).isEqualTo(String.valueOf(ProcessHandle.current().pid()));
        assertThat(m.group(6)).isEqualTo("node-1.example.test");
        assertThat(Files.readString(file)).isEqualTo("Delivered-To: alice@example.test\r\nSubject: hi\r\n\r\nbody\r\n");
        assertThat(Long.parseLong(m.group(7))).isEqualTo(Files.size(file));
    }

    @Test
    void namesStayUniqueForManyDeliveriesInTheSameMicrosecond() throws IOException {
        Clock frozen = Clock.fixed(Instant.parse("2026-01-02T03:04:05Z"), ZoneOffset.UTC);
        MaildirWriter a = new MaildirWriter("a", frozen);
        MaildirWriter b = new MaildirWriter("b", frozen);
        Set<String> names = new HashSet<>();
        for (int i = 0; i < 100; i++) {
            names.add(a.deliver(dir, new byte[0], TestContent.of("m" + i)).getFileName().toString());
            names.add(b.deliver(dir, new byte[0], TestContent.of("m" + i)).getFileName().toString());
        }
        assertThat(names).hasSize(200);
        try (Stream<Path> files = Files.list(dir.resolve("new"))) {
            assertThat(files.count()).isEqualTo(200);
        }
    }

    @Test
    void hostNamesCannotBreakTheMaildirName() {
        assertThat(MaildirWriter.safeHost("a/b:c,d e")).isEqualTo("a\\057b\\072c\\054d_e");
        assertThat(MaildirWriter.safeHost("")).isEqualTo("localhost");
    }

    @Test
    void aFailingReadLeavesNothingInTmpOrNew() {
        MessageContent broken = new MessageContent() {
            @Override
            public InputStream open() {
                return new InputStream() {
                    int n;

                    @Override
                    public int read() throws IOException {
                        if (n++ > 100) {
                            throw new IOException("disk read error");
                        }
                        return 'x';
                    }
                };
            }

            @Override
            public long size() {
                return 1000;
            }
        };
        MaildirWriter writer = new MaildirWriter("h");
        assertThatThrownBy(() -> writer.deliver(dir, new byte[0], broken)).hasMessageContaining("disk read error");
        assertThat(dir.resolve("tmp")).isEmptyDirectory();
        assertThat(dir.resolve("new")).isEmptyDirectory();
    }

    @Test
    void sizeIsReadBackFromNames() {
        for (String name : List.of("1.M1P1Q1Rabcd1234.h,S=42", "1.M1P1Q1Rabcd1234.h,S=42:2,S", "1.h,W=50,S=42")) {
            assertThat(MaildirQuota.sizeFromName(name)).as(name).isEqualTo(42);
        }
        assertThat(MaildirQuota.sizeFromName("1.h")).isEqualTo(-1);
    }
}
