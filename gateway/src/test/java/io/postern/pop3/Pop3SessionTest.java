package io.postern.pop3;

import static org.assertj.core.api.Assertions.assertThat;

import io.postern.config.AuthConfig;
import io.postern.config.LoginThrottleConfig;
import io.postern.config.Pop3Config;
import io.postern.config.SpoolFormat;
import io.postern.config.TlsMode;
import io.postern.testing.Await;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** POP3 behaviour a user observes, checked on the wire and on disk. */
class Pop3SessionTest {
    @TempDir
    Path dir;

    private static List<String> names(Path folder) throws IOException {
        if (!Files.isDirectory(folder)) {
            return List.of();
        }
        try (Stream<Path> files = Files.list(folder)) {
            return files.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    @Test
    void retrMovesToCurAndQuitDeletesOnlyMarkedMessages() throws Exception {
        try (Pop3Fixture pop3 = Pop3Fixture.start(dir)) {
            Pop3TranscriptTest.seed(pop3);
            try (Pop3Client client = new Pop3Client(pop3.port)) {
                client.login("alice", "alice-pw");
                String uidBefore = client.command("UIDL 1");
                assertThat(client.command("RETR 1")).isEqualTo("+OK 61 octets");
                byte[] body = client.rawBody();
                assertThat(new String(body, StandardCharsets.UTF_8)).isEqualTo(
                        "From: sender@example.test\r\nSubject: one\r\n\r\nHello\r\n..dot line\r\n.\r\n");
                // The next reply comes only after the transfer completed and the message was marked seen.
                assertThat(client.command("UIDL 1")).isEqualTo(uidBefore);
                assertThat(names(pop3.maildir().resolve("cur"))).containsExactly("1700000001.M1P1.node-a,S=61:2,S");
                assertThat(client.command("DELE 2")).isEqualTo("+OK Message 2 deleted");
                assertThat(client.command("QUIT")).isEqualTo("+OK Bye, 1 messages deleted");
            }
            assertThat(names(pop3.maildir().resolve("new"))).containsExactly("1700000003.M3P1.node-a,S=24");
            assertThat(names(pop3.maildir().resolve("cur"))).containsExactly("1700000001.M1P1.node-a,S=61:2,S");
            assertThat(pop3.counter("postern.pop3.retr.bytes", "application", "x")).isZero();
            assertThat(pop3.registry.find("postern.pop3.retr.bytes").counter().count()).isEqualTo(body().length);
            assertThat(pop3.counter("postern.pop3.logins", "result", "ok")).isEqualTo(1);
        }
    }

    private static byte[] body() {
        return "From: sender@example.test\r\nSubject: one\r\n\r\nHello\r\n..dot line\r\n.\r\n"
                .getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void uidlsAreStableAcrossSessionsAfterRetrieval() throws Exception {
        try (Pop3Fixture pop3 = Pop3Fixture.start(dir)) {
            Pop3TranscriptTest.seed(pop3);
            List<String> first;
            try (Pop3Client client = new Pop3Client(pop3.port)) {
                client.login("alice", "alice-pw");
                client.send("UIDL");
                client.line();
                first = client.body();
                client.send("RETR 2");
                client.line();
                client.body();
                client.command("QUIT");
            }
            try (Pop3Client client = new Pop3Client(pop3.port)) {
                client.login("alice", "alice-pw");
                client.send("UIDL");
                client.line();
                assertThat(client.body()).isEqualTo(first);
            }
        }
    }

    @Test
    void droppedConnectionDeletesNothingAndReleasesTheLock() throws Exception {
        try (Pop3Fixture pop3 = Pop3Fixture.start(dir)) {
            Pop3TranscriptTest.seed(pop3);
            try (Pop3Client client = new Pop3Client(pop3.port)) {
                client.login("alice", "alice-pw");
                client.command("DELE 1");
                client.command("DELE 2");
                client.command("DELE 3");
            }
            awaitNoLocks(pop3);
            assertThat(names(pop3.maildir().resolve("new"))).hasSize(3);
            try (Pop3Client client = new Pop3Client(pop3.port)) {
                client.login("alice", "alice-pw");
                assertThat(client.command("STAT")).isEqualTo("+OK 3 122");
            }
        }
    }

    private static void awaitNoLocks(Pop3Fixture pop3) {
        Await.until("every mailbox lock released", () -> pop3.services.mailboxes().heldLocks() == 0);
    }

    @Test
    void secondSessionGetsInUseUntilTheFirstQuits() throws Exception {
        try (Pop3Fixture pop3 = Pop3Fixture.start(dir)) {
            Pop3TranscriptTest.seed(pop3);
            try (Pop3Client first = new Pop3Client(pop3.port); Pop3Client second = new Pop3Client(pop3.port)) {
                first.login("alice", "alice-pw");
                second.line();
                second.command("USER alice@example.test");
                assertThat(second.command("PASS alice-pw")).isEqualTo("-ERR [IN-USE] Mailbox is in use by another POP3 session");
                assertThat(Files.readString(pop3.maildir().resolveSibling("alice.pop3.lock")))
                        .matches("node=node-a pid=\\d+ token=[0-9a-f-]+ expires=\\d+\n");
                first.command("QUIT");
                second.command("USER alice");
                assertThat(second.command("PASS alice-pw")).startsWith("+OK Mailbox locked and ready");
            }
            assertThat(pop3.counter("postern.pop3.logins", "result", "in_use")).isEqualTo(1);
        }
    }

    @Test
    void messageArrivingDuringTheSessionAppearsNextTime() throws Exception {
        try (Pop3Fixture pop3 = Pop3Fixture.start(dir)) {
            Pop3TranscriptTest.seed(pop3);
            try (Pop3Client client = new Pop3Client(pop3.port)) {
                client.login("alice", "alice-pw");
                pop3.deliver("1700000009.M9P1.node-b", "Subject: late\n\nlate\n");
                assertThat(client.command("STAT")).isEqualTo("+OK 3 122");
                client.command("DELE 1");
                client.command("QUIT");
            }
            try (Pop3Client client = new Pop3Client(pop3.port)) {
                client.login("alice", "alice-pw");
                assertThat(client.command("STAT")).startsWith("+OK 3 ");
                assertThat(client.command("UIDL 3")).isEqualTo("+OK 3 1700000009.M9P1.node-b,S=23");
            }
        }
    }

    @Test
    void failureWhileDeletingLeavesTheRestIntact() throws Exception {
        try (Pop3Fixture pop3 = Pop3Fixture.start(dir)) {
            Pop3TranscriptTest.seed(pop3);
            try (Pop3Client client = new Pop3Client(pop3.port)) {
                client.login("alice", "alice-pw");
                // Message 2 becomes something that cannot be deleted (a non-empty folder) after the snapshot.
                Path second = pop3.maildir().resolve("new").resolve("1700000002.M2P1.node-a,S=37");
                Files.delete(second);
                Files.createDirectories(second.resolve("blocker"));
                client.command("DELE 1");
                client.command("DELE 2");
                assertThat(client.command("QUIT")).isEqualTo("-ERR [SYS/TEMP] Some deleted messages not removed (1 of 2)");
                assertThat(client.closedByServer()).isTrue();
            }
            assertThat(names(pop3.maildir().resolve("new")))
                    .containsExactly("1700000002.M2P1.node-a,S=37", "1700000003.M3P1.node-a,S=24");
        }
    }

    @Test
    void stlsDiscardsWhatWasPipelinedBehindIt() throws Exception {
        try (Pop3Fixture pop3 = Pop3Fixture.start(dir, TlsMode.STARTTLS,
                new AuthConfig(false, false, 5, Duration.ofMinutes(5)), Pop3Config.defaults(), SpoolFormat.MAILDIR)) {
            Pop3TranscriptTest.seed(pop3);
            try (Pop3Client client = new Pop3Client(pop3.port)) {
                client.line();
                assertThat(client.command("USER alice")).startsWith("-ERR [AUTH] Plaintext authentication disallowed");
                client.send("CAPA");
                assertThat(client.line()).isEqualTo("+OK Capability list follows");
                assertThat(client.body()).contains("STLS").doesNotContain("USER", "SASL PLAIN LOGIN");
                client.sendRaw("STLS\r\nUSER alice\r\n".getBytes(StandardCharsets.US_ASCII));
                assertThat(client.line()).isEqualTo("+OK Begin TLS negotiation");
                client.upgrade(Pop3Fixture.trustingClient());
                client.send("CAPA");
                client.line();
                assertThat(client.body()).contains("USER", "SASL PLAIN LOGIN").doesNotContain("STLS");
                assertThat(client.command("PASS alice-pw")).isEqualTo("-ERR Send USER first");
                assertThat(client.command("STLS")).isEqualTo("-ERR Already using TLS");
                client.command("USER alice");
                assertThat(client.command("PASS alice-pw")).startsWith("+OK Mailbox locked and ready, 3 messages");
                assertThat(client.command("RETR 3")).isEqualTo("+OK 24 octets");
                assertThat(client.body()).containsExactly("Subject: three", "", "body");
            }
        }
    }

    @Test
    void implicitTlsListenerServesFromTheFirstByte() throws Exception {
        try (Pop3Fixture pop3 = Pop3Fixture.start(dir, TlsMode.IMPLICIT,
                new AuthConfig(false, false, 5, Duration.ofMinutes(5)), Pop3Config.defaults(), SpoolFormat.MAILDIR)) {
            Pop3TranscriptTest.seed(pop3);
            try (var socket = Pop3Fixture.trustingClient().createSocket("127.0.0.1", pop3.port)) {
                socket.setSoTimeout(5000);
                var in = new java.io.BufferedReader(new java.io.InputStreamReader(socket.getInputStream(), StandardCharsets.US_ASCII));
                var out = socket.getOutputStream();
                assertThat(in.readLine()).isEqualTo("+OK Postern POP3 server ready");
                out.write("CAPA\r\nUSER alice\r\nPASS alice-pw\r\nSTAT\r\nQUIT\r\n".getBytes(StandardCharsets.US_ASCII));
                List<String> lines = new java.util.ArrayList<>();
                for (String line = in.readLine(); line != null; line = in.readLine()) {
                    lines.add(line);
                }
                assertThat(lines).doesNotContain("STLS").contains("USER", "+OK 3 122", "+OK Bye, 0 messages deleted");
            }
        }
    }

    @Test
    void aLoginThatFailedTooOftenIsLockedWhileOthersFromTheNetworkGetIn() throws Exception {
        try (Pop3Fixture pop3 = Pop3Fixture.start(dir, TlsMode.STARTTLS,
                new AuthConfig(false, true, 3, Duration.ofMinutes(5)), Pop3Config.defaults(), SpoolFormat.MAILDIR)) {
            try (Pop3Client client = new Pop3Client(pop3.port)) {
                client.line();
                for (int i = 0; i < 3; i++) {
                    client.command("USER alice");
                    assertThat(client.command("PASS guess" + i)).isEqualTo("-ERR [AUTH] Authentication failed");
                }
                client.command("USER alice");
                assertThat(client.command("PASS alice-pw"))
                        .isEqualTo("-ERR [AUTH] Too many failed logins for this user from your network, try again later");
                assertThat(client.command("AUTH PLAIN AGFsaWNlAGFsaWNlLXB3"))
                        .isEqualTo("-ERR [AUTH] Too many failed logins for this user from your network, try again later");
                // The same address, another user: the typo-er did not lock the network out.
                client.command("USER carol");
                assertThat(client.command("PASS carol-pw")).startsWith("+OK Mailbox locked and ready");
            }
            assertThat(pop3.counter("postern.pop3.logins", "result", "failed")).isEqualTo(3);
            assertThat(pop3.counter("postern.pop3.logins", "result", "blocked")).isEqualTo(2);
        }
    }

    @Test
    void theNetworksCapRefusesEveryLoginAndCloses() throws Exception {
        AuthConfig auth = new AuthConfig(false, true, new LoginThrottleConfig(3, 100, Duration.ZERO, Duration.ZERO, 4,
                Duration.ofMinutes(5), 32, 64, 1_000));
        try (Pop3Fixture pop3 = Pop3Fixture.start(dir, TlsMode.STARTTLS, auth, Pop3Config.defaults(),
                SpoolFormat.MAILDIR)) {
            try (Pop3Client client = new Pop3Client(pop3.port)) {
                client.line();
                for (String user : new String[] {"alice", "alice", "nobody", "someone"}) {
                    client.command("USER " + user);
                    assertThat(client.command("PASS wrong")).isEqualTo("-ERR [AUTH] Authentication failed");
                }
                client.command("USER carol");
                assertThat(client.command("PASS carol-pw"))
                        .isEqualTo("-ERR [SYS/TEMP] Too many failed logins from your network, try again later");
                assertThat(client.closedByServer()).isTrue();
            }
        }
    }

    @Test
    void overlongLineIsRefusedAndTheSessionGoesOn() throws Exception {
        Pop3Config config = new Pop3Config(Duration.ofMinutes(10), 100, 10, Duration.ofMinutes(2), 1024, 20, 100);
        try (Pop3Fixture pop3 = Pop3Fixture.start(dir, TlsMode.STARTTLS, Pop3Fixture.loopbackPlaintext(), config,
                SpoolFormat.MAILDIR)) {
            Pop3TranscriptTest.seed(pop3);
            try (Pop3Client client = new Pop3Client(pop3.port)) {
                client.line();
                // RFC 2449 4: a command line is at most 255 octets with its CRLF.
                assertThat(client.command("USER " + "c".repeat(248))).isEqualTo("+OK Send your password");
                assertThat(client.command("USER " + "c".repeat(249))).isEqualTo("-ERR Line too long");
                assertThat(client.command("USER " + "a".repeat(1995))).isEqualTo("-ERR Line too long");
                assertThat(client.command("USER " + "b".repeat(100_000))).isEqualTo("-ERR Line too long");
                // RFC 5034 4: a SASL response is no command line; it may be as long as maxLineLength.
                assertThat(client.command("AUTH PLAIN")).isEqualTo("+ ");
                String response = java.util.Base64.getEncoder().encodeToString(
                        ("\0alice\0" + "p".repeat(600)).getBytes(StandardCharsets.UTF_8));
                assertThat(response.length() + 2).isBetween(256, 1024);
                assertThat(client.command(response)).isEqualTo("-ERR [AUTH] Authentication failed");
                assertThat(client.command("AUTH PLAIN")).isEqualTo("+ ");
                assertThat(client.command("x".repeat(1023))).isEqualTo("-ERR Line too long");
                client.command("USER alice");
                assertThat(client.command("PASS alice-pw")).startsWith("+OK");
            }
        }
    }

    @Test
    void aLoggedInSessionOutlivesTheAuthorizationDeadline() throws Exception {
        Pop3Config d = Pop3Config.defaults();
        Pop3Config config = new Pop3Config(d.idleTimeout(), 100, 10, d.lockLease(), d.maxLineLength(),
                d.maxBadCommands(), d.maxPipelinedCommands(), d.maxCommandLine(), Duration.ofSeconds(1));
        try (Pop3Fixture pop3 = Pop3Fixture.start(dir, TlsMode.STARTTLS, Pop3Fixture.loopbackPlaintext(), config,
                SpoolFormat.MAILDIR)) {
            Pop3TranscriptTest.seed(pop3);
            try (Pop3Client client = new Pop3Client(pop3.port)) {
                long connected = System.nanoTime();
                client.login("alice", "alice-pw");
                while (System.nanoTime() - connected < Duration.ofSeconds(2).toNanos()) {
                    Thread.sleep(50);
                }
                assertThat(client.command("STAT")).startsWith("+OK 3 ");
            }
        }
    }

    @Test
    void tooManyBadCommandsEndTheSession() throws Exception {
        Pop3Config config = new Pop3Config(Duration.ofMinutes(10), 100, 10, Duration.ofMinutes(2), 8192, 3, 100);
        try (Pop3Fixture pop3 = Pop3Fixture.start(dir, TlsMode.STARTTLS, Pop3Fixture.loopbackPlaintext(), config,
                SpoolFormat.MAILDIR)) {
            try (Pop3Client client = new Pop3Client(pop3.port)) {
                client.line();
                for (int i = 0; i < 3; i++) {
                    assertThat(client.command("BOGUS")).isEqualTo("-ERR Unknown command");
                }
                assertThat(client.command("BOGUS")).isEqualTo("-ERR Too many bad commands, closing");
                assertThat(client.closedByServer()).isTrue();
            }
        }
    }

    @Test
    void idleSessionIsClosedWithoutDeleting() throws Exception {
        Pop3Config config = new Pop3Config(Duration.ofSeconds(1), 100, 10, Duration.ofMinutes(2), 8192, 20, 100);
        try (Pop3Fixture pop3 = Pop3Fixture.start(dir, TlsMode.STARTTLS, Pop3Fixture.loopbackPlaintext(), config,
                SpoolFormat.MAILDIR)) {
            Pop3TranscriptTest.seed(pop3);
            try (Pop3Client client = new Pop3Client(pop3.port)) {
                client.login("alice", "alice-pw");
                client.command("DELE 1");
                assertThat(client.line()).isEqualTo("-ERR Idle timeout, closing (nothing deleted)");
                assertThat(client.closedByServer()).isTrue();
            }
            assertThat(names(pop3.maildir().resolve("new"))).hasSize(3);
        }
    }

    @Test
    void connectionsPerClientAreCapped() throws Exception {
        Pop3Config config = new Pop3Config(Duration.ofMinutes(10), 100, 2, Duration.ofMinutes(2), 8192, 20, 100);
        try (Pop3Fixture pop3 = Pop3Fixture.start(dir, TlsMode.STARTTLS, Pop3Fixture.loopbackPlaintext(), config,
                SpoolFormat.MAILDIR)) {
            // One after the other: each greeting proves the connection was counted before the next.
            try (Pop3Client a = new Pop3Client(pop3.port)) {
                assertThat(a.line()).startsWith("+OK");
                try (Pop3Client b = new Pop3Client(pop3.port)) {
                    assertThat(b.line()).startsWith("+OK");
                    try (Pop3Client c = new Pop3Client(pop3.port)) {
                        assertThat(c.line()).isEqualTo("-ERR [SYS/TEMP] Too many connections, try again later");
                        assertThat(c.closedByServer()).isTrue();
                    }
                }
            }
        }
    }

    @Test
    void pipelinedCommandsAreAnsweredInOrder() throws Exception {
        try (Pop3Fixture pop3 = Pop3Fixture.start(dir)) {
            Pop3TranscriptTest.seed(pop3);
            try (Pop3Client client = new Pop3Client(pop3.port)) {
                client.line();
                client.sendRaw("USER alice\r\nPASS alice-pw\r\nRETR 3\r\nRETR 2\r\nSTAT\r\nQUIT\r\n"
                        .getBytes(StandardCharsets.US_ASCII));
                assertThat(client.line()).startsWith("+OK Send");
                assertThat(client.line()).startsWith("+OK Mailbox locked");
                assertThat(client.line()).isEqualTo("+OK 24 octets");
                assertThat(client.body()).containsExactly("Subject: three", "", "body");
                assertThat(client.line()).isEqualTo("+OK 37 octets");
                assertThat(client.body()).containsExactly("Subject: two", "", "line1", "line2", "line3");
                assertThat(client.line()).isEqualTo("+OK 3 122");
                assertThat(client.line()).isEqualTo("+OK Bye, 0 messages deleted");
            }
        }
    }

    @Test
    void tenThousandMessagesLogInAndListQuickly() throws Exception {
        try (Pop3Fixture pop3 = Pop3Fixture.start(dir)) {
            Path fresh = pop3.maildir().resolve("new");
            Files.createDirectories(fresh);
            Files.createDirectories(pop3.maildir().resolve("cur"));
            // Names declare 1000 octets; the files are empty: a listing that read bodies would see 0.
            for (int i = 0; i < 10_000; i++) {
                Files.createFile(fresh.resolve((1_700_000_000L + i) + ".M" + i + "P1.node-a,S=1000"));
            }
            try (Pop3Client client = new Pop3Client(pop3.port)) {
                long start = System.nanoTime();
                client.login("alice", "alice-pw");
                client.send("LIST");
                assertThat(client.line()).isEqualTo("+OK 10000 messages (10000000 octets)");
                List<String> list = client.body();
                long millis = (System.nanoTime() - start) / 1_000_000;
                assertThat(list).hasSize(10_000).startsWith("1 1000").endsWith("10000 1000");
                assertThat(millis).as("login + LIST of 10,000 messages in ms").isLessThan(10_000);
            }
        }
    }

    @Test
    void mboxSpoolIsReadUnquotedAndRewrittenOnQuit() throws Exception {
        try (Pop3Fixture pop3 = Pop3Fixture.start(dir, TlsMode.STARTTLS, Pop3Fixture.loopbackPlaintext(),
                Pop3Config.defaults(), SpoolFormat.MBOX)) {
            Path mbox = pop3.spoolRoot.resolve("example.test").resolve("alice");
            Files.createDirectories(mbox.getParent());
            String first = "From sender@example.test Thu Nov 26 10:00:00 2026\nSubject: one\n\n>From the start\n>>From deeper\n.dot\n\n";
            String second = "From other@example.test Thu Nov 26 10:01:00 2026\nSubject: two\n\nsecond body\n\n";
            Files.writeString(mbox, first + second, StandardCharsets.US_ASCII);
            try (Pop3Client client = new Pop3Client(pop3.port)) {
                client.login("alice", "alice-pw");
                String expected = "Subject: one\r\n\r\nFrom the start\r\n>From deeper\r\n.dot\r\n";
                client.send("LIST");
                client.line();
                assertThat(client.body()).containsExactly("1 " + expected.length(), "2 29");
                assertThat(client.command("RETR 1")).isEqualTo("+OK " + expected.length() + " octets");
                assertThat(new String(client.rawBody(), StandardCharsets.US_ASCII))
                        .isEqualTo(expected.replace("\r\n.dot", "\r\n..dot") + ".\r\n");
                client.command("DELE 1");
                String late = "From late@example.test Thu Nov 26 10:02:00 2026\nSubject: late\n\nlate\n\n";
                Files.writeString(mbox, late, StandardCharsets.US_ASCII, java.nio.file.StandardOpenOption.APPEND);
                assertThat(client.command("QUIT")).isEqualTo("+OK Bye, 1 messages deleted");
            }
            assertThat(Files.readString(mbox, StandardCharsets.US_ASCII)).isEqualTo(second + "From late@example.test Thu Nov 26 10:02:00 2026\nSubject: late\n\nlate\n\n");
        }
    }

    /** The off-loop policy: a login whose work throws is that command's temporary failure; the session goes on. */
    @Test
    void aLoginThatThrowsIsATemporaryFailureAndTheSessionGoesOn() throws Exception {
        try (Pop3Fixture pop3 = Pop3Fixture.start(dir)) {
            try (Pop3Client client = new Pop3Client(pop3.port)) {
                client.line();
                pop3.directory.broken(true);
                client.command("USER alice");
                assertThat(client.command("PASS alice-pw")).isEqualTo("-ERR [SYS/TEMP] Mailbox unavailable, try again later");
                pop3.directory.broken(false);
                client.command("USER alice");
                assertThat(client.command("PASS alice-pw")).startsWith("+OK");
            }
        }
    }
}
