package io.postern.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.postern.config.ConfigLoader;
import io.postern.config.PosternConfig;
import io.postern.config.QueueConfig;
import io.postern.config.SecretResolver;
import io.postern.mail.Envelope;
import io.postern.mail.EnvelopeRecipient;
import io.postern.mail.IncomingMessage;
import io.postern.mail.MailAddress;
import io.postern.queue.MailQueue;
import io.postern.server.PosternServer;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.ConnectException;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * {@code postern queue drain} against a real node: the listeners close, an idle session hears
 * 421 4.3.2, /readyz fails, delivery goes on; a message that cannot leave makes the drain time out
 * with exit 3 and a report; once it can, the drain ends with exit 0. With --queue-dir, a stopped
 * node's queue is delivered by this process until it is empty.
 */
class QueueDrainCommandTest {
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

    private static String enqueue(Path queueDir, String subject) throws Exception {
        try (MailQueue queue = MailQueue.start(new QueueConfig(queueDir, Duration.ofDays(5)), "mx.example.test",
                MailAddress.parse("postmaster@example.test").orElseThrow(), new SimpleMeterRegistry())) {
            IncomingMessage m = queue.sink().open(new Envelope(MailAddress.parse("bob@example.test"),
                    List.of(EnvelopeRecipient.of(MailAddress.parse("alice@example.test").orElseThrow())),
                    Envelope.BodyType.SEVEN_BIT, false, Optional.empty(), Optional.empty(),
                    new Envelope.SessionTrace("127.0.0.1", "localhost", "localhost", "ESMTP", Optional.empty(),
                            Optional.empty(), Instant.now())));
            byte[] bytes = ("Subject: " + subject + "\r\n\r\nx\r\n").getBytes(StandardCharsets.US_ASCII);
            m.write(bytes, 0, bytes.length);
            return m.commit().get().queueId();
        }
    }

    private Path config(Path queue, int smtpPort, int adminPort, int queueApiPort) throws Exception {
        return Files.writeString(dir.resolve("postern-" + smtpPort + ".yaml"), """
                node: { hostname: mx.example.test, drainTimeout: 30s }
                listeners:
                  - { name: smtp, kind: mx, address: 127.0.0.1, port: %d }
                admin: { port: %d, queueApi: { port: %d } }
                domains: [example.test]
                directory:
                  profile: openldap
                  baseDn: dc=example,dc=test
                  embedded: { ldif: %s, port: %d }
                queue: { directory: %s }
                spool: { root: %s }
                """.formatted(smtpPort, adminPort, queueApiPort,
                Path.of("..", "ldif", "demo.ldif").toAbsolutePath().normalize(), freePort(), queue,
                dir.resolve("spool")));
    }

    private static PosternConfig load(Path file) {
        return new ConfigLoader(new SecretResolver(Map.of())).load(file);
    }

    private long spooled(String subject) throws Exception {
        if (!Files.exists(dir.resolve("spool"))) {
            return 0;
        }
        try (Stream<Path> files = Files.walk(dir.resolve("spool"))) {
            return files.filter(Files::isRegularFile).filter(f -> {
                try {
                    return Files.readString(f, StandardCharsets.ISO_8859_1).contains("Subject: " + subject);
                } catch (Exception e) {
                    return false;
                }
            }).count();
        }
    }

    @Test
    void aRunningNodeStopsAcceptingKeepsDeliveringAndReportsWhatIsLeft() throws Exception {
        Path queue = dir.resolve("queue");
        String held = enqueue(queue, "held");
        assertThat(run("queue", "--queue-dir", queue.toString(), "hold", held).exit()).isZero();
        int smtpPort = freePort();
        int adminPort = freePort();
        int apiPort = freePort();
        try (PosternServer server = PosternServer.start(load(config(queue, smtpPort, adminPort, apiPort)));
             Socket idle = new Socket("127.0.0.1", smtpPort)) {
            idle.setSoTimeout(30_000);
            BufferedReader in = new BufferedReader(new InputStreamReader(idle.getInputStream(),
                    StandardCharsets.US_ASCII));
            assertThat(in.readLine()).startsWith("220 ");
            assertThat(readyz(adminPort).statusCode()).isEqualTo(200);
            String admin = "127.0.0.1:" + apiPort;

            Run timedOut = run("queue", "--admin", admin, "drain", "--timeout", "300ms", "--interval", "50ms");

            assertThat(timedOut.exit()).as(timedOut.err()).isEqualTo(Main.EXIT_INCOMPLETE);
            assertThat(timedOut.out()).startsWith("not drained after PT0.3S; left:\n").contains("messages: 1\n")
                    .contains("oldest: " + held + " ").contains("destination: example.test 1 recipients\n");
            assertThat(in.readLine()).isEqualTo("421 4.3.2 mx.example.test service shutting down");
            assertThat(in.readLine()).isNull();
            assertThatThrownBy(() -> new Socket("127.0.0.1", smtpPort).close()).isInstanceOf(ConnectException.class);
            HttpResponse<String> ready = readyz(adminPort);
            assertThat(ready.statusCode()).isEqualTo(503);
            assertThat(ready.body()).contains("drain failing draining: not accepting new connections");

            assertThat(run("queue", "--admin", admin, "release", held).exit()).isZero();
            Run drained = run("queue", "--admin", admin, "drain", "--timeout", "60s", "--interval", "50ms");

            assertThat(drained.exit()).as(drained.out() + drained.err()).isZero();
            assertThat(drained.out()).startsWith("drained\n").contains("draining: yes").contains("messages: 0\n");
            assertThat(spooled("held")).isEqualTo(1);
        }
    }

    @Test
    void aStoppedNodesQueueIsDeliveredByThisProcessUntilEmpty() throws Exception {
        Path foreign = dir.resolve("foreign");
        for (int n = 0; n < 5; n++) {
            enqueue(foreign, "foreign " + n);
        }
        Path config = config(dir.resolve("own-queue"), freePort(), freePort(), freePort());
        try (MailQueue _ = MailQueue.start(new QueueConfig(foreign, Duration.ofDays(5)), "mx.example.test",
                MailAddress.parse("postmaster@example.test").orElseThrow(), new SimpleMeterRegistry())) {
            Run refused = run("queue", "--queue-dir", foreign.toString(), "--config", config.toString(), "drain");
            assertThat(refused.exit()).isEqualTo(Main.EXIT_RUNTIME);
            assertThat(refused.err()).contains("in use by another process");
        }

        Run served = run("queue", "--queue-dir", foreign.toString(), "--config", config.toString(), "drain",
                "--timeout", "60s", "--interval", "50ms");

        assertThat(served.exit()).as(served.out() + served.err()).isZero();
        assertThat(served.out()).startsWith("drained\n").contains("messages: 0\n");
        for (int n = 0; n < 5; n++) {
            assertThat(spooled("foreign " + n)).as("foreign " + n).isEqualTo(1);
        }
        try (Stream<Path> left = Files.list(foreign.resolve("messages"))) {
            assertThat(left.toList()).isEmpty();
        }
    }

    @Test
    void importMovesAStoppedQueueAndExitsThreeWhenFilesAreLeft() throws Exception {
        Path foreign = dir.resolve("foreign");
        Path local = dir.resolve("local");
        String id = enqueue(foreign, "one");
        enqueue(local, "mine");
        Files.writeString(foreign.resolve("messages").resolve("0000000000000002.msg"), "orphan");

        Run imported = run("queue", "--queue-dir", local.toString(), "import", foreign.toString());

        assertThat(imported.exit()).isEqualTo(Main.EXIT_INCOMPLETE);
        assertThat(imported.out()).contains("imported 1 message\n").contains("0000000000000002.msg: content without envelope");
        assertThat(local.resolve("messages").resolve(id + ".env")).exists();
        assertThat(run("queue", "--queue-dir", local.toString(), "list").out()).contains(id).contains("2 messages");
        assertThat(run("queue", "import", foreign.toString()).exit()).isEqualTo(Main.EXIT_USAGE);
    }

    private static HttpResponse<String> readyz(int port) throws Exception {
        try (HttpClient client = HttpClient.newHttpClient()) {
            return client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/readyz")).build(),
                    HttpResponse.BodyHandlers.ofString());
        }
    }

    private static int freePort() throws Exception {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }
}
