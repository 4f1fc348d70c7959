package io.postern.pop3;

import static org.assertj.core.api.Assertions.assertThat;

import io.postern.testing.Await;
import io.postern.testing.LogCapture;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** One {@code event=session-end} line per POP3 session, without the password. */
class Pop3SessionLogTest {
    @TempDir
    Path dir;
    private LogCapture logs;

    @BeforeEach
    void capture() {
        logs = LogCapture.root();
    }

    @AfterEach
    void release() {
        logs.close();
    }

    private List<String> lines() {
        return logs.lines();
    }

    private List<String> sessionEnds(int expected) {
        Await.until(expected + " session-end log lines",
                () -> lines().stream().filter(l -> l.startsWith("event=session-end ")).count() >= expected);
        return lines().stream().filter(l -> l.startsWith("event=session-end ")).toList();
    }

    @Test
    void sessionEndCountsRetrievedAndDeletedMessages() throws Exception {
        try (Pop3Fixture pop3 = Pop3Fixture.start(dir)) {
            Pop3TranscriptTest.seed(pop3);
            try (Pop3Client client = new Pop3Client(pop3.port)) {
                client.login("alice", "alice-pw");
                assertThat(client.command("RETR 1")).startsWith("+OK");
                client.rawBody();
                assertThat(client.command("DELE 1")).startsWith("+OK");
                assertThat(client.command("DELE 2")).startsWith("+OK");
                assertThat(client.command("QUIT")).startsWith("+OK");
            }
            try (Pop3Client dropped = new Pop3Client(pop3.port)) {
                dropped.command("USER alice");
            }
            List<String> ends = sessionEnds(2);
            assertThat(ends).hasSize(2);
            // The two sessions may end in either order.
            assertThat(ends).anyMatch(l -> l.matches("event=session-end proto=pop3 client=127\\.0\\.0\\.1 user=alice"
                    + " tls=no retrieved=1 deleted=2 result=quit duration=\\d+\\.\\d{3}"));
            assertThat(ends).anyMatch(l -> l.contains(" user=- ") && l.contains(" retrieved=0 deleted=0 result=dropped "));
            assertThat(String.join("\n", lines())).doesNotContain("alice-pw");
        }
    }
}
