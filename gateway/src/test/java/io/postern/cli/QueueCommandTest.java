package io.postern.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.postern.config.QueueConfig;
import io.postern.mail.IncomingMessage;
import io.postern.mail.MailAddress;
import io.postern.queue.MailQueue;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class QueueCommandTest {
    @TempDir
    Path dir;

    record Run(int exit, String out, String err) {
    }

    private static Run run(String... args) {
        CommandLine cli = Main.commandLine();
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        cli.setOut(new PrintWriter(out));
        cli.setErr(new PrintWriter(err));
        int exit = cli.execute(args);
        return new Run(exit, out.toString(), err.toString());
    }

    private String enqueueOne(Path queueDir) throws Exception {
        MailAddress postmaster = MailAddress.parse("postmaster@example.test").orElseThrow();
        try (MailQueue queue = MailQueue.start(new QueueConfig(queueDir, Duration.ofDays(5)), "mx.example.test",
                postmaster, new SimpleMeterRegistry())) {
            IncomingMessage m = queue.sink().open(new io.postern.mail.Envelope(
                    MailAddress.parse("alice@example.test"),
                    List.of(io.postern.mail.EnvelopeRecipient.of(MailAddress.parse("bob@example.net").orElseThrow())),
                    io.postern.mail.Envelope.BodyType.SEVEN_BIT, false, Optional.empty(), Optional.empty(),
                    new io.postern.mail.Envelope.SessionTrace("127.0.0.1", "localhost", "localhost", "ESMTP",
                            Optional.empty(), Optional.empty(), Instant.now())));
            byte[] bytes = "Subject: cli\r\n\r\nx\r\n".getBytes(StandardCharsets.US_ASCII);
            m.write(bytes, 0, bytes.length);
            return m.commit().get().queueId();
        }
    }

    @Test
    void hostileIdsAreUsageErrors() throws Exception {
        Path q = dir.resolve("q");
        for (String bad : List.of("../x", "..", "0123456789ABCDE\0", "../../etc/passwd", "0123456789abcdef")) {
            for (String verb : List.of("show", "hold", "release", "delete", "bounce")) {
                Run r = run("queue", "--queue-dir", q.toString(), verb, bad);
                assertThat(r.exit()).as(verb + " " + bad).isEqualTo(Main.EXIT_USAGE);
                assertThat(r.err()).contains("is not a queue id");
            }
        }
        assertThat(Files.exists(q)).isFalse(); // refused before anything touched the disk
    }

    @Test
    void offlineListShowHoldReleaseDelete() throws Exception {
        Path q = dir.resolve("q");
        String id = enqueueOne(q);
        Run list = run("queue", "--queue-dir", q.toString(), "list");
        assertThat(list.exit()).isZero();
        assertThat(list.out()).contains(id).contains("<alice@example.test>").contains("incoming");

        assertThat(run("queue", "--queue-dir", q.toString(), "hold", id).exit()).isZero();
        assertThat(run("queue", "--queue-dir", q.toString(), "show", id).out()).contains("state: hold")
                .contains("recipient: <bob@example.net> pending");
        assertThat(run("queue", "--queue-dir", q.toString(), "release", id).exit()).isZero();
        assertThat(run("queue", "--queue-dir", q.toString(), "flush").out()).contains("flushed 1 messages");
        assertThat(run("queue", "--queue-dir", q.toString(), "delete", id).exit()).isZero();
        Run gone = run("queue", "--queue-dir", q.toString(), "show", id);
        assertThat(gone.exit()).isEqualTo(Main.EXIT_RUNTIME);
        assertThat(gone.err()).contains("no message " + id);
    }

    @Test
    void offlineBounceEnqueuesADsnForTheNextStart() throws Exception {
        Path q = dir.resolve("q");
        String id = enqueueOne(q);
        Run r = run("queue", "--queue-dir", q.toString(), "bounce", id);
        assertThat(r.exit()).isZero();
        Run list = run("queue", "--queue-dir", q.toString(), "list");
        assertThat(list.out()).doesNotContain(id).contains("<> 1/1 pending").contains("1 message");
    }

    @Test
    void offlineIsRefusedWhileANodeHoldsTheQueue() throws Exception {
        Path q = dir.resolve("q");
        MailAddress postmaster = MailAddress.parse("postmaster@example.test").orElseThrow();
        try (MailQueue running = MailQueue.start(new QueueConfig(q, Duration.ofDays(5)), "mx.example.test",
                postmaster, new SimpleMeterRegistry())) {
            Run r = run("queue", "--queue-dir", q.toString(), "list");
            assertThat(r.exit()).isEqualTo(Main.EXIT_RUNTIME);
            assertThat(r.err()).contains("in use");
        }
    }

    @Test
    void onlineThroughTheQueueApiWithItsToken() throws Exception {
        Path q = dir.resolve("q");
        String id = enqueueOne(q);
        String token = "s3cret-token-0123456789";
        Path tokenFile = java.nio.file.Files.writeString(dir.resolve("token"), token + "\n");
        Path wrongFile = java.nio.file.Files.writeString(dir.resolve("wrong"), "not-the-token-0123456789\n");
        MailAddress postmaster = MailAddress.parse("postmaster@example.test").orElseThrow();
        try (MailQueue running = MailQueue.start(new QueueConfig(q, Duration.ofDays(5)), "mx.example.test",
                postmaster, new SimpleMeterRegistry())) {
            running.recovered().get();
            var api = running.adminApi();
            io.postern.admin.AdminHttpServer admin = io.postern.admin.AdminHttpServer.start("queue-api", "127.0.0.1", 0,
                    io.postern.config.AdminConfig.defaults(), new io.postern.admin.QueueApiGuard(token, request -> {
                        var r = api.handle(request.method(), request.path(), request.query());
                        return io.postern.admin.AdminReply.text(r.status(), r.body());
                    }));
            try {
                String endpoint = "127.0.0.1:" + admin.port();
                Run noToken = run("queue", "--admin", endpoint, "hold", id);
                assertThat(noToken.exit()).isEqualTo(Main.EXIT_RUNTIME);
                assertThat(noToken.err()).contains("Authorization: Bearer");
                Run wrong = run("queue", "--admin", endpoint, "--token-file", wrongFile.toString(), "hold", id);
                assertThat(wrong.exit()).isEqualTo(Main.EXIT_RUNTIME);
                assertThat(wrong.err()).contains("wrong token");
                assertThat(running.show(id).orElseThrow()).doesNotContain("state: hold");

                Run list = run("queue", "--admin", endpoint, "--token-file", tokenFile.toString(), "list");
                assertThat(list.exit()).isZero();
                assertThat(list.out()).contains(id);
                assertThat(run("queue", "--admin", endpoint, "--token-file", tokenFile.toString(), "hold", id).exit())
                        .isZero();
                assertThat(running.show(id).orElseThrow()).contains("state: hold");
                assertThat(run("queue", "--admin", endpoint, "show", "../x").exit()).isEqualTo(Main.EXIT_USAGE);
                Run missing = run("queue", "--admin", endpoint, "--token-file", tokenFile.toString(), "show",
                        "0000000000000001");
                assertThat(missing.exit()).isEqualTo(Main.EXIT_RUNTIME);

                // With the node's configuration, the CLI finds the queue API and sends the configured token.
                Path config = Files.writeString(dir.resolve("postern.yaml"), """
                        listeners: [{ kind: mx, port: 2525 }]
                        directory: { urls: [ldap://127.0.0.1], baseDn: 'dc=example,dc=test' }
                        admin: { port: 1, queueApi: { port: %d, token: '${file:%s}' } }
                        queue: { directory: %s }
                        """.formatted(admin.port(), tokenFile, q));
                assertThat(run("queue", "--config", config.toString(), "release", id).exit()).isZero();
                assertThat(running.show(id).orElseThrow()).doesNotContain("state: hold");
            } finally {
                admin.close();
            }
        }
        Run unreachable = run("queue", "--admin", "127.0.0.1:1", "list");
        assertThat(unreachable.exit()).isEqualTo(Main.EXIT_RUNTIME);
    }
}
