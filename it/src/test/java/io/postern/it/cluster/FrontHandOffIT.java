package io.postern.it.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import io.postern.it.servers.Slapd;
import io.postern.it.support.ExternalProcess;
import io.postern.it.support.Ports;
import io.postern.it.support.PosternProcess;
import io.postern.testing.Await;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.CleanupMode;
import org.junit.jupiter.api.io.TempDir;

/**
 * One {@code front} and one {@code delivery} worker as real processes of the postern jar on
 * loopback, one slapd, a shared spool: with a live worker, every all-local message is handed to it
 * before the {@code 250}, so the front's queue never holds a message file (none seen while the
 * load runs, none at the end, no {@code event=queued} in the front's log), and every message is
 * in its Maildir exactly once.
 */
class FrontHandOffIT {
    private static final int MESSAGES = 200;
    private static final int SESSIONS = 4;
    private static final Pattern ID = Pattern.compile("(?m)^X-Load-Id: (\\d+)\r?$");

    @TempDir(cleanup = CleanupMode.ON_SUCCESS) // the nodes' logs stay when it fails
    Path dir;

    @Test
    void withALiveWorkerTheFrontsQueueNeverHoldsAMessage() throws Exception {
        try (Slapd slapd = Slapd.start(dir.resolve("slapd"), PosternProcess.checkout().resolve("ldif/demo.ldif"))) {
            Path spool = Files.createDirectories(dir.resolve("shared-spool"));
            Path password = Files.writeString(dir.resolve("ldap-password"), slapd.password());
            Files.setPosixFilePermissions(password, PosixFilePermissions.fromString("rw-------"));
            int lmtp = Ports.free();
            int smtp = Ports.free();
            String common = """
                    directory:
                      urls: [%s]
                      baseDn: dc=example,dc=test
                      bindDn: %s
                      bindPassword: ${file:%s}
                    domains: [example.test]
                    spool: { root: %s }
                    """.formatted(slapd.url(), slapd.bindDn(), password, spool);
            Path workerHome = Files.createDirectories(dir.resolve("worker"));
            Path frontHome = Files.createDirectories(dir.resolve("front"));
            Path frontQueue = frontHome.resolve("queue");
            Path workerConfig = Files.writeString(workerHome.resolve("postern.yaml"), """
                    node: { hostname: worker.example.test, role: delivery, drainTimeout: 2s }
                    listeners:
                      - { name: lmtp, kind: lmtp, port: %d }
                    admin: { port: %d, queueApi: { port: %d } }
                    queue: { directory: %s }
                    %s""".formatted(lmtp, Ports.free(), Ports.free(), workerHome.resolve("queue"), common));
            Path frontConfig = Files.writeString(frontHome.resolve("postern.yaml"), """
                    node: { hostname: front.example.test, role: front, drainTimeout: 2s }
                    listeners:
                      - { name: mx, kind: mx, port: %d }
                    admin: { port: %d, queueApi: { port: %d } }
                    outbound:
                      lmtpTargets: ["127.0.0.1:%d"]
                    queue: { directory: %s }
                    %s""".formatted(smtp, Ports.free(), Ports.free(), lmtp, frontQueue, common));
            try (ExternalProcess worker = PosternProcess.start("worker", workerHome, "serve", "--config",
                    workerConfig.toString());
                 ExternalProcess front = PosternProcess.start("front", frontHome, "serve", "--config",
                         frontConfig.toString())) {
                worker.awaitLog(Duration.ofSeconds(150), "event=started");
                front.awaitLog(Duration.ofSeconds(150), "event=started");

                // Watches the front's queue folders while the load runs: any message file seen counts.
                AtomicLong seen = new AtomicLong();
                AtomicInteger done = new AtomicInteger();
                ExecutorService pool = Executors.newFixedThreadPool(SESSIONS + 1);
                Future<?> watcher = pool.submit(() -> {
                    while (done.get() < SESSIONS) {
                        seen.addAndGet(files(frontQueue.resolve("messages")) + files(frontQueue.resolve("tmp")));
                        Thread.sleep(5);
                    }
                    return null;
                });
                AtomicInteger next = new AtomicInteger();
                List<Future<List<String>>> sessions = new ArrayList<>();
                for (int s = 0; s < SESSIONS; s++) {
                    sessions.add(pool.submit(() -> {
                        try {
                            return send(smtp, next);
                        } finally {
                            done.incrementAndGet();
                        }
                    }));
                }
                List<String> refused = new ArrayList<>();
                for (Future<List<String>> session : sessions) {
                    refused.addAll(session.get(Await.atLeast(Duration.ofSeconds(180)).toSeconds(), TimeUnit.SECONDS));
                }
                watcher.get(60, TimeUnit.SECONDS);
                pool.shutdown();
                assertThat(refused).as("replies other than 250").isEmpty();

                Await.until("every message in a Maildir", Duration.ofSeconds(60),
                        () -> total(spool) >= MESSAGES);
                Map<Integer, Integer> copies = maildirs(spool);
                String log = front.logText();
                long queued = Pattern.compile("event=queued ").matcher(log).results().count();
                long direct = Pattern.compile("event=delivered-before-reply ").matcher(log).results().count();
                System.out.printf("front hand-off: sent=%d delivered-before-reply=%d queued=%d queue files seen=%d"
                        + " in maildirs=%d%n", MESSAGES, direct, queued, seen.get(), copies.size());

                assertThat(copies).as("every message once").hasSize(MESSAGES)
                        .allSatisfy((id, n) -> assertThat(n).as("copies of " + id).isEqualTo(1));
                assertThat(queued).as("messages the front queued").isZero();
                assertThat(direct).as("messages handed to the worker before the 250").isEqualTo(MESSAGES);
                assertThat(seen.get()).as("queue files seen during the load").isZero();
                assertThat(files(frontQueue.resolve("messages")) + files(frontQueue.resolve("tmp"))).isZero();
            }
        }
    }

    private static long files(Path folder) {
        if (!Files.isDirectory(folder)) {
            return 0;
        }
        try (Stream<Path> s = Files.list(folder)) {
            return s.count();
        } catch (IOException e) {
            return 0; // listed while a file went away: counted at the next look
        }
    }

    private static int total(Path spool) {
        try {
            return maildirs(spool).values().stream().mapToInt(Integer::intValue).sum();
        } catch (IOException e) {
            return 0; // a file renamed into cur/ while read: counted at the next look
        }
    }

    /** X-Load-Id -> number of copies, over alice's and bob's Maildirs. */
    private static Map<Integer, Integer> maildirs(Path spool) throws IOException {
        Map<Integer, Integer> found = new TreeMap<>();
        for (String user : List.of("alice", "bob")) {
            Path folder = spool.resolve("example.test").resolve(user).resolve("new");
            if (!Files.isDirectory(folder)) {
                continue;
            }
            try (Stream<Path> files = Files.list(folder)) {
                for (Path file : files.toList()) {
                    Matcher m = ID.matcher(Files.readString(file, StandardCharsets.US_ASCII));
                    if (m.find()) {
                        found.merge(Integer.parseInt(m.group(1)), 1, Integer::sum);
                    }
                }
            }
        }
        return found;
    }

    /** One SMTP session sending messages until all are taken; the replies that were not 250. */
    private static List<String> send(int port, AtomicInteger next) throws IOException {
        List<String> refused = new ArrayList<>();
        try (Socket socket = new Socket(InetAddress.getLoopbackAddress(), port)) {
            socket.setSoTimeout(60_000);
            BufferedReader in = new BufferedReader(new InputStreamReader(socket.getInputStream(), StandardCharsets.US_ASCII));
            OutputStream out = socket.getOutputStream();
            expect(in, "220");
            command(out, in, "EHLO load.example.org", "250");
            int id;
            while ((id = next.getAndIncrement()) < MESSAGES) {
                String user = id % 2 == 0 ? "alice" : "bob";
                command(out, in, "MAIL FROM:<load@remote.example.org>", "250");
                command(out, in, "RCPT TO:<" + user + "@example.test>", "250");
                command(out, in, "DATA", "354");
                StringBuilder message = new StringBuilder("From: load@remote.example.org\r\nTo: ").append(user)
                        .append("@example.test\r\nSubject: hand-off ").append(id).append("\r\nX-Load-Id: ").append(id)
                        .append("\r\n\r\n");
                while (message.length() < 4096) {
                    message.append("0123456789abcdefghijklmnopqrstuvwxyz-front-hand-off\r\n");
                }
                out.write(message.append(".\r\n").toString().getBytes(StandardCharsets.US_ASCII));
                out.flush();
                String reply = reply(in);
                if (!reply.startsWith("250")) {
                    refused.add(id + ": " + reply);
                }
            }
            command(out, in, "QUIT", "221");
        }
        return refused;
    }

    private static void command(OutputStream out, BufferedReader in, String line, String expected) throws IOException {
        out.write((line + "\r\n").getBytes(StandardCharsets.US_ASCII));
        out.flush();
        expect(in, expected);
    }

    private static void expect(BufferedReader in, String code) throws IOException {
        String reply = reply(in);
        assertThat(reply).startsWith(code);
    }

    private static String reply(BufferedReader in) throws IOException {
        String line;
        do {
            line = in.readLine();
            if (line == null) {
                throw new IOException("connection closed");
            }
        } while (line.length() > 3 && line.charAt(3) == '-');
        return line;
    }
}
