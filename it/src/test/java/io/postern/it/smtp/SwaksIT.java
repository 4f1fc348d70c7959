package io.postern.it.smtp;

import static org.assertj.core.api.Assertions.assertThat;

import io.postern.it.support.ExternalProcess;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** swaks (a real SMTP client) against Postern's MX and submission listeners on loopback. */
class SwaksIT {
    @TempDir
    static Path dir;
    private static SmtpItNode node;

    @BeforeAll
    static void start() throws Exception {
        node = new SmtpItNode(dir.resolve("node"), "");
    }

    @AfterAll
    static void stop() {
        if (node != null) {
            node.close();
        }
    }

    private ExternalProcess.Result swaks(List<String> args) throws Exception {
        List<String> command = new java.util.ArrayList<>(List.of("swaks", "--timeout", "10"));
        command.addAll(args);
        return ExternalProcess.run(dir, Duration.ofSeconds(30), command);
    }

    @Test
    void deliversToALocalMailboxOverStartTls() throws Exception {
        int before = node.accepted().size();
        ExternalProcess.Result r = swaks(List.of("--server", "127.0.0.1:" + node.mxPort, "--tls",
                "--from", "sender@remote.test", "--to", "alice@example.com", "--header", "Subject: swaks-mx",
                "--body", "Hello from swaks\n.leading dot line"));
        assertThat(r.exitCode()).as(r.output()).isZero();
        assertThat(r.output()).contains("250 2.0.0 Ok: queued as IT");
        List<Path> accepted = node.accepted();
        assertThat(accepted).hasSize(before + 1);
        String stored = Files.readString(accepted.getLast());
        assertThat(stored).contains("Subject: swaks-mx").contains("Hello from swaks\r\n.leading dot line\r\n")
                .contains("with ESMTPS").contains("(using TLSv1.3 with cipher");
    }

    @Test
    void refusesToRelayForAnonymousClients() throws Exception {
        ExternalProcess.Result r = swaks(List.of("--server", "127.0.0.1:" + node.mxPort,
                "--from", "sender@remote.test", "--to", "victim@other.test"));
        assertThat(r.exitCode()).isNotZero();
        assertThat(r.output()).contains("554 5.7.1 Relay access denied");
    }

    @Test
    void unknownLocalUserIsRefused() throws Exception {
        ExternalProcess.Result r = swaks(List.of("--server", "127.0.0.1:" + node.mxPort,
                "--from", "sender@remote.test", "--to", "nobody@example.com"));
        assertThat(r.exitCode()).isNotZero();
        assertThat(r.output()).contains("550 5.1.1");
    }

    @Test
    void submissionWithAuthPlainAfterStartTls() throws Exception {
        int before = node.accepted().size();
        ExternalProcess.Result r = swaks(List.of("--server", "127.0.0.1:" + node.submissionPort, "--tls",
                "--auth", "PLAIN", "--auth-user", "alice", "--auth-password", "secret",
                "--from", "alice@example.com", "--to", "friend@other.test", "--header", "Subject: swaks-sub"));
        assertThat(r.exitCode()).as(r.output()).isZero();
        assertThat(r.output()).contains("235 2.7.0").contains("250 2.0.0 Ok: queued as");
        String stored = Files.readString(node.accepted().get(before));
        // swaks sends its own Message-Id (any case counts): Postern adds none; it adds nothing twice.
        assertThat(stored).contains("with ESMTPSA").contains("Subject: swaks-sub").contains("Message-Id: <");
        assertThat(stored.toLowerCase(java.util.Locale.ROOT).split("\r\nmessage-id:", -1)).hasSize(2);
    }

    @Test
    void submissionWithAWrongPasswordGets535() throws Exception {
        ExternalProcess.Result r = swaks(List.of("--server", "127.0.0.1:" + node.submissionPort, "--tls",
                "--auth", "LOGIN", "--auth-user", "alice", "--auth-password", "wrong",
                "--from", "alice@example.com", "--to", "bob@example.com"));
        assertThat(r.exitCode()).isNotZero();
        assertThat(r.output()).contains("535 5.7.8");
    }

    @Test
    void submissionRefusesPlaintextAuth() throws Exception {
        ExternalProcess.Result r = swaks(List.of("--server", "127.0.0.1:" + node.submissionPort,
                "--auth", "PLAIN", "--auth-user", "alice", "--auth-password", "secret",
                "--from", "alice@example.com", "--to", "bob@example.com"));
        assertThat(r.exitCode()).isNotZero();
        // swaks sees no AUTH in EHLO without TLS; it gives up before sending the password.
        assertThat(r.output()).doesNotContain("235 ");
    }

    @Test
    void pipelining() throws Exception {
        int before = node.accepted().size();
        ExternalProcess.Result r = swaks(List.of("--server", "127.0.0.1:" + node.mxPort, "--pipeline",
                "--from", "sender@remote.test", "--to", "alice@example.com,bob@example.com",
                "--header", "Subject: pipelined"));
        assertThat(r.exitCode()).as(r.output()).isZero();
        assertThat(node.accepted()).hasSize(before + 1);
    }
}
