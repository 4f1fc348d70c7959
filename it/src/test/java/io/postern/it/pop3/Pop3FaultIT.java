package io.postern.it.pop3;

import static org.assertj.core.api.Assertions.assertThat;

import io.postern.it.support.ExternalProcess;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Dropped connections and hostile input from a real (Python) client over loopback. */
class Pop3FaultIT {
    @TempDir
    Path dir;

    private static List<String> files(Path folder) throws Exception {
        try (Stream<Path> list = Files.list(folder)) {
            return list.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    @Test
    void droppedConnectionDeletesNothing() throws Exception {
        Path spool = dir.resolve("spool");
        Path maildir = spool.resolve("example.test/alice");
        for (int i = 1; i <= 3; i++) {
            Pop3Node.deliver(maildir, "170000000" + i + ".M" + i + "P1.node-a", "Subject: " + i + "\n\nbody\n");
        }
        try (Pop3Node node = Pop3Node.plain(spool, "node-a", dir.resolve("tls"))) {
            String script = """
                    import poplib
                    c = poplib.POP3('127.0.0.1', %d, timeout=10)
                    c.user('alice'); c.pass_('alice-pw')
                    for i in (1, 2, 3):
                        print(c.dele(i))
                    c.sock.close()   # no QUIT: the connection just drops
                    c = poplib.POP3('127.0.0.1', %d, timeout=10)
                    import time
                    for attempt in range(50):
                        try:
                            c.user('alice'); print('RELOGIN', c.pass_('alice-pw')); break
                        except poplib.error_proto as e:
                            print('RETRY', e); time.sleep(0.1)
                    print('STAT', c.stat())
                    print(c.quit())
                    """.formatted(node.port(), node.port());
            ExternalProcess.Result result = ExternalProcess.run(dir, Duration.ofSeconds(30), script, List.of("python3", "-"));
            assertThat(result.exitCode()).as(result.output()).isZero();
            assertThat(result.output()).contains("b'+OK Message 3 deleted'", "STAT (3, ", "b'+OK Bye, 0 messages deleted'");
        }
        assertThat(files(maildir.resolve("new"))).hasSize(3);
    }

    @Test
    void hostileInputGetsPreciseErrorsAndTheServerStaysUp() throws Exception {
        Path spool = dir.resolve("spool");
        Path maildir = spool.resolve("example.test/alice");
        Pop3Node.deliver(maildir, "1700000001.M1P1.node-a", "Subject: 1\n\nbody\n");
        try (Pop3Node node = Pop3Node.plain(spool, "node-a", dir.resolve("tls"))) {
            String script = """
                    import socket
                    s = socket.create_connection(('127.0.0.1', %d), timeout=10)
                    f = s.makefile('rb')
                    def say(data):
                        s.sendall(data)
                        line = f.readline().rstrip(b'\\r\\n')
                        print(repr(data[:20]), '->', line.decode())
                    print(f.readline().decode().strip())
                    say(b'RETR 1\\r\\n')
                    say(b'A' * 100000 + b'\\r\\n')
                    say(b'USER al\\x00ice\\r\\n')
                    say(b'\\xff\\xfe\\r\\n')
                    say(b'USER alice\\r\\n')
                    say(b'PASS alice-pw\\r\\n')
                    say(b'RETR 0\\r\\n')
                    say(b'RETR -1\\r\\n')
                    say(b'RETR 99999999999\\r\\n')
                    say(b'TOP 1 -5\\r\\n')
                    say(b'DELE 2\\r\\n')
                    say(b'PASS again\\r\\n')
                    say(b'NOOP\\n')
                    say(b'QUIT\\r\\n')
                    """.formatted(node.port());
            ExternalProcess.Result result = ExternalProcess.run(dir, Duration.ofSeconds(30), script, List.of("python3", "-"));
            assertThat(result.exitCode()).as(result.output()).isZero();
            assertThat(result.output().lines().toList()).containsSubsequence(
                    "b'RETR 1\\r\\n' -> -ERR Command not valid in this state",
                    "b'AAAAAAAAAAAAAAAAAAAA' -> -ERR Line too long",
                    "b'USER al\\x00ice\\r\\n' -> -ERR NUL octet in command",
                    "b'\\xff\\xfe\\r\\n' -> -ERR Unknown command",
                    "b'RETR 0\\r\\n' -> -ERR No such message",
                    "b'RETR -1\\r\\n' -> -ERR Invalid arguments",
                    "b'RETR 99999999999\\r\\n' -> -ERR No such message",
                    "b'TOP 1 -5\\r\\n' -> -ERR Invalid arguments",
                    "b'DELE 2\\r\\n' -> -ERR No such message",
                    "b'PASS again\\r\\n' -> -ERR Command not valid in this state",
                    "b'NOOP\\n' -> +OK",
                    "b'QUIT\\r\\n' -> +OK Bye, 0 messages deleted");
            try (LineClient client = new LineClient(node.port())) {
                assertThat(client.login("alice", "alice-pw")).startsWith("+OK Mailbox locked and ready, 1 messages");
            }
        }
        assertThat(files(maildir.resolve("new"))).hasSize(1);
    }
}
