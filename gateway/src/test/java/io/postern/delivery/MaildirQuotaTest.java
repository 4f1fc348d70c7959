package io.postern.delivery;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MaildirQuotaTest {
    @TempDir
    Path maildir;

    @Test
    void computesUsageFromNamesAndWritesMaildirsize() throws IOException {
        Files.createDirectories(maildir.resolve("new"));
        Files.createDirectories(maildir.resolve("cur"));
        Files.createDirectories(maildir.resolve(".Sent/cur"));
        Files.writeString(maildir.resolve("new/1.a.h,S=100"), "x");
        Files.writeString(maildir.resolve("cur/2.a.h,S=200:2,S"), "x");
        Files.writeString(maildir.resolve(".Sent/cur/3.a.h"), "12345");

        assertThat(MaildirQuota.usage(maildir, 1000)).isEqualTo(305);
        assertThat(Files.readString(maildir.resolve("maildirsize"))).isEqualTo("1000S\n305 3\n");
    }

    @Test
    void readsAndAppendsMaildirsize() throws IOException {
        Files.writeString(maildir.resolve("maildirsize"), "5000S,10C\n100 1\n-40 -1\n");
        assertThat(MaildirQuota.usage(maildir, 5000)).isEqualTo(60);
        MaildirQuota.record(maildir, 25);
        assertThat(MaildirQuota.usage(maildir, 5000)).isEqualTo(85);
    }

    @Test
    void recomputesWhenTheQuotaChangedTheFileIsBrokenOrTooLong() throws IOException {
        Files.createDirectories(maildir.resolve("new"));
        Files.writeString(maildir.resolve("new/1.a.h,S=7"), "1234567");
        Files.writeString(maildir.resolve("maildirsize"), "999S\n100 1\n");
        assertThat(MaildirQuota.usage(maildir, 5000)).isEqualTo(7);

        Files.writeString(maildir.resolve("maildirsize"), "5000S\nnot numbers\n");
        assertThat(MaildirQuota.usage(maildir, 5000)).isEqualTo(7);

        Files.writeString(maildir.resolve("maildirsize"), "5000S\n" + "1 1\n".repeat(2000));
        assertThat(MaildirQuota.usage(maildir, 5000)).isEqualTo(7);
        assertThat(Files.size(maildir.resolve("maildirsize"))).isLessThanOrEqualTo(MaildirQuota.MAX_FILE);
    }
}
