package io.postern.smtp;

import static org.assertj.core.api.Assertions.assertThat;

import io.postern.testing.Await;
import io.postern.testing.MapDirectory;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Runs every dialogue in src/test/resources/transcripts against a real listener on loopback.
 *
 * <p>Header directives: {@code @listener mx|submission|lmtp}, {@code @tls none|starttls|implicit},
 * {@code @yaml <top-level YAML line>}, {@code @directory-down}, {@code @sink fail-open|fail-commit}.
 * Dialogue: {@code C: line} (sent with CRLF), {@code R: bytes} (sent as is; escapes \r \n \0 \t
 * \\xNN), {@code S: glob} (next reply line, {@code *} matches anything), {@code S> glob} (skip reply
 * lines up to one that matches), {@code TLS} (client handshake), {@code CLOSED} (server closed),
 * {@code STORED n}, {@code STORED-CONTAINS text}, {@code STORED-NOT-CONTAINS text},
 * {@code ENVELOPE-CONTAINS text} (about the last committed message).
 */
class SmtpTranscriptTest {

    static Stream<String> transcripts() throws IOException, URISyntaxException {
        Path dir = Path.of(SmtpTranscriptTest.class.getResource("/transcripts").toURI());
        try (Stream<Path> files = Files.list(dir)) {
            return files.map(p -> p.getFileName().toString()).filter(n -> n.endsWith(".txt")).sorted().toList().stream();
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("transcripts")
    void dialogue(String name, @TempDir Path tmp) throws Exception {
        Path file = Path.of(SmtpTranscriptTest.class.getResource("/transcripts/" + name).toURI());
        List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        String kind = "mx";
        String tls = "none";
        StringBuilder yaml = new StringBuilder();
        boolean down = false;
        String sinkMode = "";
        List<String> dialogue = new ArrayList<>();
        for (String line : lines) {
            if (line.startsWith("@listener ")) {
                kind = line.substring(10).strip();
            } else if (line.startsWith("@tls ")) {
                tls = line.substring(5).strip();
            } else if (line.startsWith("@yaml ")) {
                yaml.append(line.substring(6)).append('\n');
            } else if (line.equals("@directory-down")) {
                down = true;
            } else if (line.startsWith("@sink ")) {
                sinkMode = line.substring(6).strip();
            } else if (!line.isBlank() && !line.startsWith("#")) {
                dialogue.add(line);
            }
        }
        try (SmtpTestServer server = new SmtpTestServer(SmtpTestServer.yaml(kind, tls, yaml.toString()), tmp,
                MapDirectory.fixture())) {
            server.directory.down(down);
            server.sink.failOpen(sinkMode.equals("fail-open"));
            server.sink.failCommit(sinkMode.equals("fail-commit"));
            try (SmtpTestClient client = new SmtpTestClient(server.port())) {
                if (tls.equals("implicit")) {
                    client.startTls();
                }
                int step = 0;
                for (String line : dialogue) {
                    step++;
                    String where = name + " step " + step + " (" + line + ")";
                    try {
                        run(line, client, server, where);
                    } catch (java.io.IOException e) {
                        throw new AssertionError(where + ": " + e, e);
                    }
                }
            }
        }
    }

    private static void run(String line, SmtpTestClient client, SmtpTestServer server, String where) throws Exception {
        if (line.equals("C:")) {
            client.send("");
        } else if (line.startsWith("C: ")) {
            client.send(line.substring(3));
        } else if (line.startsWith("R: ")) {
            client.raw(unescape(line.substring(3)));
        } else if (line.startsWith("S: ")) {
            String reply = client.readLine();
            assertThat(reply).as(where).isNotNull().matches(glob(line.substring(3)));
        } else if (line.startsWith("S> ")) {
            Pattern wanted = glob(line.substring(3));
            String reply;
            do {
                reply = client.readLine();
                assertThat(reply).as(where + ": connection ended before a matching reply").isNotNull();
            } while (!wanted.matcher(reply).matches());
        } else if (line.equals("TLS")) {
            client.startTls();
        } else if (line.equals("CLOSED")) {
            assertThat(client.closedByServer()).as(where).isTrue();
        } else if (line.startsWith("STORED ")) {
            int expected = Integer.parseInt(line.substring(7).strip());
            awaitStored(server, expected);
            assertThat(server.sink.stored()).as(where).hasSize(expected);
        } else if (line.startsWith("STORED-CONTAINS ")) {
            assertThat(server.sink.stored().getLast().text()).as(where)
                    .contains(new String(unescape(line.substring(16)), StandardCharsets.UTF_8));
        } else if (line.startsWith("STORED-NOT-CONTAINS ")) {
            assertThat(server.sink.stored().getLast().text()).as(where)
                    .doesNotContain(new String(unescape(line.substring(20)), StandardCharsets.UTF_8));
        } else if (line.startsWith("ENVELOPE-CONTAINS ")) {
            assertThat(server.sink.stored().getLast().envelope().toString()).as(where).contains(line.substring(18));
        } else {
            throw new IllegalArgumentException("unknown transcript line: " + where);
        }
    }

    private static void awaitStored(SmtpTestServer server, int expected) {
        Await.until(expected + " stored messages", () -> server.sink.stored().size() >= expected);
    }

    static Pattern glob(String text) {
        StringBuilder regex = new StringBuilder();
        for (String part : text.split("\\*", -1)) {
            if (!regex.isEmpty()) {
                regex.append(".*");
            }
            regex.append(Pattern.quote(part));
        }
        return Pattern.compile(regex.toString(), Pattern.DOTALL);
    }

    static byte[] unescape(String text) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
        for (int i = 0; i < bytes.length; i++) {
            byte b = bytes[i];
            if (b != '\\' || i + 1 >= bytes.length) {
                out.write(b);
                continue;
            }
            char next = (char) bytes[++i];
            switch (next) {
                case 'r' -> out.write('\r');
                case 'n' -> out.write('\n');
                case '0' -> out.write(0);
                case 't' -> out.write('\t');
                case '\\' -> out.write('\\');
                case 'x' -> {
                    out.write(Integer.parseInt(new String(bytes, i + 1, 2, StandardCharsets.US_ASCII), 16));
                    i += 2;
                }
                default -> throw new IllegalArgumentException("bad escape \\" + next);
            }
        }
        return out.toByteArray();
    }
}
