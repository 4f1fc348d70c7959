package io.postern.mailbox;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MaildirSpoolTest {
    @TempDir
    Path maildir;

    private Path put(String sub, String name, String content) throws Exception {
        Files.createDirectories(maildir.resolve(sub));
        return Files.writeString(maildir.resolve(sub).resolve(name), content, StandardCharsets.US_ASCII);
    }

    @Test
    void listsNewAndCurByDeliveryTimeIgnoringTmpAndDotFiles() throws Exception {
        put("cur", "1700000002.M2.h,S=4:2,FR", "b\r\n\r\n");
        put("new", "1700000001.M1.h,S=3,W=9", "a\r\n");
        put("new", "1700000003.M3.h", "c\nd\n");
        put("new", ".hidden", "x");
        put("tmp", "1700000000.M0.h", "partial");
        MaildirSpool spool = MaildirSpool.scan(maildir);
        assertThat(spool.messages()).extracting(SpoolMessage::uid)
                .containsExactly("1700000001.M1.h,S=3,W=9", "1700000002.M2.h,S=4", "1700000003.M3.h");
        // W= (CRLF size) wins over S=; without either, the file size.
        assertThat(spool.messages()).extracting(SpoolMessage::size).containsExactly(9L, 4L, 4L);
        try (InputStream in = spool.open(2)) {
            assertThat(new String(in.readAllBytes(), StandardCharsets.US_ASCII)).isEqualTo("c\r\nd\r\n");
        }
    }

    @Test
    void seenKeepsOtherFlagsAndTheUidl() throws Exception {
        put("cur", "1700000002.M2.h,S=4:2,FR", "b\r\n\r\n");
        put("new", "1700000003.M3.h,S=3", "c\r\n");
        MaildirSpool spool = MaildirSpool.scan(maildir);
        spool.markSeen(0);
        spool.markSeen(1);
        spool.markSeen(1);
        try (Stream<Path> files = Files.list(maildir.resolve("cur"))) {
            assertThat(files.map(p -> p.getFileName().toString()))
                    .containsExactlyInAnyOrder("1700000002.M2.h,S=4:2,FRS", "1700000003.M3.h,S=3:2,S");
        }
        assertThat(MaildirSpool.scan(maildir).messages()).extracting(SpoolMessage::uid)
                .containsExactly("1700000002.M2.h,S=4", "1700000003.M3.h,S=3");
    }

    @Test
    void messageRenamedByAnotherAgentIsStillFoundAndDeleted() throws Exception {
        Path file = put("new", "1700000003.M3.h,S=3", "c\r\n");
        MaildirSpool spool = MaildirSpool.scan(maildir);
        Files.createDirectories(maildir.resolve("cur"));
        Files.move(file, maildir.resolve("cur").resolve("1700000003.M3.h,S=3:2,T"));
        try (InputStream in = spool.open(0)) {
            assertThat(in.readAllBytes()).hasSize(3);
        }
        assertThat(spool.delete(Set.of(0))).isEqualTo(new UpdateResult.Done(1));
        try (Stream<Path> files = Files.list(maildir.resolve("cur"))) {
            assertThat(files).isEmpty();
        }
    }

    @Test
    void namesThatAreNoValidUidlAreHashedStably() throws Exception {
        String longName = "1700000001." + "x".repeat(100);
        put("new", longName, "a\r\n");
        String uid = MaildirSpool.scan(maildir).messages().getFirst().uid();
        assertThat(uid).hasSizeLessThanOrEqualTo(70).startsWith("h").isEqualTo(Uids.of(longName));
        assertThat(MaildirSpool.scan(maildir).messages().getFirst().uid()).isEqualTo(uid);
    }

    @Test
    void missingMaildirIsAnEmptyMailbox() throws Exception {
        assertThat(MaildirSpool.scan(maildir.resolve("never-delivered")).messages()).isEmpty();
    }
}
