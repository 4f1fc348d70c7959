package io.postern.it.pop3;

import static org.assertj.core.api.Assertions.assertThat;

import io.postern.config.AuthConfig;
import io.postern.config.TlsMode;
import io.postern.it.support.ExternalProcess;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** fetchmail (a real client from Debian) retrieving from Postern: STLS with deletion, implicit TLS keeping mail. */
class FetchmailIT {
    @TempDir
    Path dir;

    private static List<String> files(Path folder) throws Exception {
        try (Stream<Path> list = Files.list(folder)) {
            return list.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    private ExternalProcess.Result fetch(int port, String options) throws Exception {
        Path out = Files.createDirectories(dir.resolve("out"));
        Path mda = dir.resolve("mda.sh");
        Files.writeString(mda, "#!/bin/sh\ncat > \"" + out + "/msg.$$\"\n");
        mda.toFile().setExecutable(true);
        Path rc = dir.resolve("fetchmailrc");
        Files.writeString(rc, "set no syslog\n"
                + "poll 127.0.0.1 with proto POP3 and port " + port + " and uidl\n"
                + "  user \"alice\" there with password \"alice-pw\" is \"alice\" here\n"
                + "  options " + options + "\n"
                + "  mda \"" + mda + "\"\n");
        Files.setPosixFilePermissions(rc, PosixFilePermissions.fromString("rw-------"));
        return ExternalProcess.run(dir, Duration.ofSeconds(60), List.of("env", "HOME=" + dir, "FETCHMAILHOME=" + dir,
                "fetchmail", "-f", rc.toString(), "--idfile", dir.resolve("ids").toString(), "-v", "--nosyslog"));
    }

    @Test
    void fetchesAllAndDeletesThem() throws Exception {
        Path spool = dir.resolve("spool");
        Path maildir = spool.resolve("example.test/alice");
        for (int i = 1; i <= 3; i++) {
            Pop3Node.deliver(maildir, "170000000" + i + ".M" + i + "P1.node-a",
                    "From: s@example.test\nSubject: fetch " + i + "\n\nbody " + i + "\n.dot\n");
        }
        // fetchmail upgrades with STLS by itself; plaintext login is closed even on loopback here.
        try (Pop3Node node = new Pop3Node(spool, "node-a", TlsMode.STARTTLS,
                new AuthConfig(false, false, 5, Duration.ofMinutes(5)), Duration.ofMinutes(2), dir.resolve("tls"))) {
            ExternalProcess.Result result = fetch(node.port(), "fetchall nokeep no sslcertck");
            assertThat(result.exitCode()).as(result.output()).isZero();
            assertThat(result.output()).contains("3 messages");
        }
        List<String> delivered = files(dir.resolve("out"));
        assertThat(delivered).hasSize(3);
        String all = String.join("\n", delivered.stream().map(f -> {
            try {
                return Files.readString(dir.resolve("out").resolve(f));
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        }).toList());
        assertThat(all).contains("Subject: fetch 1", "Subject: fetch 2", "Subject: fetch 3", "body 2", "\n.dot\n")
                .doesNotContain("..dot");
        assertThat(files(maildir.resolve("new"))).isEmpty();
        assertThat(files(maildir.resolve("cur"))).isEmpty();
    }

    private String log = "";

    @Test
    void implicitTlsWithKeepLeavesMailUnseen() throws Exception {
        Path spool = dir.resolve("spool");
        Path maildir = spool.resolve("example.test/alice");
        Pop3Node.deliver(maildir, "1700000001.M1P1.node-a", "Subject: kept\n\nkept body\n");
        try (Pop3Node node = new Pop3Node(spool, "node-a", TlsMode.IMPLICIT,
                new AuthConfig(false, false, 5, Duration.ofMinutes(5)), Duration.ofMinutes(2), dir.resolve("tls"))) {
            ExternalProcess.Result result = fetch(node.port(), "ssl no sslcertck keep");
            assertThat(result.exitCode()).as(result.output()).isZero();
            log = result.output();
            // Second run: fetchmail remembers the UIDL and fetches nothing new (exit 1 = no mail).
            ExternalProcess.Result again = fetch(node.port(), "ssl no sslcertck keep");
            assertThat(again.exitCode()).as(again.output()).isEqualTo(1);
        }
        assertThat(files(dir.resolve("out"))).hasSize(1);
        // With "keep" fetchmail reads by TOP, which is not a retrieval: the message stays unseen in new/.
        assertThat(log).contains("POP3> TOP 1 ");
        assertThat(files(maildir.resolve("new"))).as(log).containsExactly("1700000001.M1P1.node-a,S=28");
        assertThat(files(maildir.resolve("cur"))).isEmpty();
    }
}
