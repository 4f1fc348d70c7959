package io.postern.it.pop3;

import static org.assertj.core.api.Assertions.assertThat;

import io.postern.config.AuthConfig;
import io.postern.config.TlsMode;
import io.postern.it.support.ExternalProcess;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Python's poplib (a real client) against Postern's POP3 listener in this JVM. */
class PoplibIT {
    @TempDir
    Path dir;

    private static final String MESSAGE = "From: sender@example.test\nTo: alice@example.test\nSubject: hello\n\n"
            + "first line\n.starts with a dot\n..two dots\nlast line\n";

    private static List<String> files(Path folder) throws Exception {
        try (Stream<Path> list = Files.list(folder)) {
            return list.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    @Test
    void stlsLoginRetrieveAllAndDelete() throws Exception {
        Path spool = dir.resolve("spool");
        Path maildir = spool.resolve("example.test/alice");
        for (int i = 1; i <= 3; i++) {
            Pop3Node.deliver(maildir, "170000000" + i + ".M" + i + "P1.node-a", MESSAGE.replace("hello", "hello " + i));
        }
        // Plaintext closed even on loopback: the client must use STLS first.
        try (Pop3Node node = new Pop3Node(spool, "node-a", TlsMode.STARTTLS,
                new AuthConfig(false, false, 5, Duration.ofMinutes(5)), Duration.ofMinutes(2), dir.resolve("tls"))) {
            String script = """
                    import poplib, ssl, sys
                    c = poplib.POP3('127.0.0.1', %d, timeout=10)
                    caps = c.capa()
                    print('CAPA', sorted(caps.keys()))
                    try:
                        c.user('alice')
                        print('USER-BEFORE-STLS accepted')
                    except poplib.error_proto as e:
                        print('USER-BEFORE-STLS', e)
                    ctx = ssl.create_default_context(); ctx.check_hostname = False; ctx.verify_mode = ssl.CERT_NONE
                    c.stls(ctx)
                    c.user('alice'); print('PASS', c.pass_('alice-pw'))
                    print('STAT', c.stat())
                    print('UIDL', c.uidl()[1])
                    for i in range(1, 4):
                        resp, lines, octets = c.retr(i)
                        body = b'\\r\\n'.join(lines) + b'\\r\\n'
                        sys.stdout.buffer.write(b'RETR %%d %%d %%d\\n' %% (i, octets, len(body)))
                        if i == 1:
                            sys.stdout.buffer.write(body)
                        c.dele(i)
                    print('QUIT', c.quit())
                    """.formatted(node.port());
            ExternalProcess.Result result = ExternalProcess.run(dir, Duration.ofSeconds(30), script,
                    List.of("python3", "-"));
            String out = result.output();
            assertThat(result.exitCode()).as(out).isZero();
            assertThat(out).contains("USER-BEFORE-STLS b'-ERR [AUTH] Plaintext authentication disallowed");
            assertThat(out).contains("'STLS'", "'UIDL'", "'RESP-CODES'", "'AUTH-RESP-CODE'");
            assertThat(out).contains("STAT (3, 378)");
            assertThat(out).contains("UIDL [b'1 1700000001.M1P1.node-a,S=126', b'2 1700000002.M2P1.node-a,S=126',"
                    + " b'3 1700000003.M3P1.node-a,S=126']");
            // poplib removes the dot-stuffing: the client sees exactly what was stored.
            assertThat(out).contains("RETR 1 ", "first line\r\n.starts with a dot\r\n..two dots\r\nlast line\r\n");
            assertThat(out).contains("QUIT b'+OK Bye, 3 messages deleted'");
        }
        assertThat(files(maildir.resolve("new"))).isEmpty();
        assertThat(files(maildir.resolve("cur"))).isEmpty();
    }
}
