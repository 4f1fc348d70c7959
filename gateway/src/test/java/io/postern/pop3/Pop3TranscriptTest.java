package io.postern.pop3;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Golden POP3 dialogues in src/test/resources/transcripts/pop3/*.txt, each played over a real
 * loopback socket against a fresh server whose alice has three messages (see {@link #seed}).
 * Lines: {@code C: } sent (with {@code \0} for NUL), {@code S: } expected exactly, {@code S~ }
 * expected as a regex, {@code S: <closed>} the server closed, {@code ! directory-down}.
 */
class Pop3TranscriptTest {
    static final String MESSAGE_1 = "From: sender@example.test\nSubject: one\n\nHello\n.dot line\n";
    static final String MESSAGE_2 = "Subject: two\n\nline1\nline2\nline3\n";
    static final String MESSAGE_3 = "Subject: three\n\nbody\n";

    static Stream<String> transcripts() throws IOException, URISyntaxException {
        Path dir = Path.of(Pop3TranscriptTest.class.getResource("/transcripts/pop3").toURI());
        try (Stream<Path> files = Files.list(dir)) {
            return files.map(p -> p.getFileName().toString()).filter(n -> n.endsWith(".txt")).sorted().toList().stream();
        }
    }

    static void seed(Pop3Fixture pop3) throws Exception {
        pop3.deliver("1700000001.M1P1.node-a", MESSAGE_1);
        pop3.deliver("1700000002.M2P1.node-a", MESSAGE_2);
        pop3.deliver("1700000003.M3P1.node-a", MESSAGE_3);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("transcripts")
    void dialogue(String name, @TempDir Path dir) throws Exception {
        List<String> script = Files.readAllLines(
                Path.of(getClass().getResource("/transcripts/pop3/" + name).toURI()), StandardCharsets.UTF_8);
        try (Pop3Fixture pop3 = Pop3Fixture.start(dir)) {
            seed(pop3);
            try (Pop3Client client = new Pop3Client(pop3.port)) {
                int lineNo = 0;
                for (String line : script) {
                    lineNo++;
                    String where = name + ":" + lineNo;
                    if (line.isBlank() || line.startsWith("#")) {
                        continue;
                    }
                    if (line.startsWith("C: ")) {
                        client.send(line.substring(3).replace("\\0", "\0"));
                    } else if (line.equals("S: <closed>")) {
                        assertThat(client.closedByServer()).as(where + " server closes").isTrue();
                    } else if (line.startsWith("S: ")) {
                        assertThat(client.line()).as(where).isEqualTo(line.substring(3));
                    } else if (line.startsWith("S~ ")) {
                        assertThat(client.line()).as(where).matches(line.substring(3));
                    } else if (line.equals("! directory-down")) {
                        pop3.directory.down(true);
                    } else {
                        fail(where + ": bad transcript line: " + line);
                    }
                }
            }
        }
    }
}
