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
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.CleanupMode;
import org.junit.jupiter.api.io.TempDir;

/**
 * The cluster as a whole (issue 20): real JVM processes of the postern jar on loopback, one
 * slapd, one shared spool folder, three {@code front} nodes (each with its own queue, both
 * workers as {@code lmtpTargets}, SMTP and POP3 on the shared spool) and two {@code delivery}
 * workers. A bounded load generator spreads SMTP sessions over the fronts while a front is
 * killed (-9) and restarted on its queue, a worker is killed (-9) and later restarted, and a
 * front is drained with {@code postern queue drain}, killed, and its queue delivered by
 * {@code postern queue drain --queue-dir}. Then every message that got {@code 250} is in the
 * right Maildir exactly once, POP3 on one front sees mail accepted by the others, and a second
 * POP3 session on the same mailbox through another front gets {@code [IN-USE]}.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ClusterIT {
    private static final int MESSAGES = 600;
    private static final int SESSIONS = 12;
    private static final int MESSAGES_PER_CONNECTION = 20;
    private static final Pattern ID = Pattern.compile("(?m)^X-Cluster-Id: (\\d+)\r?$");
    private static final String BODY_LINE = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ-cluster-load\r\n";

    @TempDir(cleanup = CleanupMode.ON_SUCCESS) // the nodes' logs stay when it fails
    static Path dir;

    private Slapd slapd;
    private Path spool;
    private Path password;
    private final Node[] fronts = new Node[3];
    private final Node[] workers = new Node[2];
    private final List<ExternalProcess> started = new ArrayList<>();

    /** One node: its ports and files stay the same across restarts. */
    private final class Node {
        final String name;
        final Path home;
        final Path config;
        final int smtp;
        final int pop3;
        final int queueApi;
        int generation;
        volatile ExternalProcess process;

        Node(String name, String yaml, int smtp, int pop3, int queueApi) throws IOException {
            this.name = name;
            this.home = Files.createDirectories(dir.resolve(name));
            this.config = Files.writeString(home.resolve("postern.yaml"), yaml);
            this.smtp = smtp;
            this.pop3 = pop3;
            this.queueApi = queueApi;
        }

        Path queue() {
            return home.resolve("queue");
        }

        void start() throws IOException {
            generation++;
            Path log = home.resolve(name + "-" + generation + ".log");
            Process p = new ProcessBuilder(PosternProcess.command(home, "serve", "--config", config.toString()))
                    .directory(home.toFile()).redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile())).start();
            process = ExternalProcess.adopt(name, p, log);
            synchronized (started) {
                started.add(process);
            }
        }

        void awaitStarted() throws Exception {
            process.awaitLog(Duration.ofSeconds(150), "event=started");
        }

        void kill9() throws InterruptedException {
            process.kill();
        }
    }

    @BeforeAll
    void startCluster() throws Exception {
        slapd = Slapd.start(dir.resolve("slapd"), PosternProcess.checkout().resolve("ldif/demo.ldif"));
        spool = Files.createDirectories(dir.resolve("shared-spool"));
        password = Files.writeString(dir.resolve("ldap-password"), slapd.password());
        Files.setPosixFilePermissions(password, PosixFilePermissions.fromString("rw-------"));
        int[] lmtp = {Ports.free(), Ports.free()};
        for (int i = 0; i < workers.length; i++) {
            String name = "worker-" + (i + 1);
            workers[i] = new Node(name, """
                    node: { hostname: %s.example.test, role: delivery, drainTimeout: 2s }
                    listeners:
                      - { name: lmtp, kind: lmtp, port: %d }
                    admin: { port: %d, queueApi: { port: %d } }
                    %s
                    """.formatted(name, lmtp[i], Ports.free(), Ports.free(), common(dir.resolve(name))), 0, 0, 0);
        }
        // An all-local message goes to a worker before the 250; with the workers frozen (step 3) each
        // front gives up on them after directWait and queues what it accepts, so front-3's queue has
        // something to hand over.
        for (int i = 0; i < fronts.length; i++) {
            String name = "front-" + (i + 1);
            int smtp = Ports.free();
            int pop3 = Ports.free();
            int queueApi = Ports.free();
            fronts[i] = new Node(name, """
                    node: { hostname: %s.example.test, role: front, drainTimeout: 2s }
                    listeners:
                      - { name: mx, kind: mx, port: %d }
                      - { name: pop3, kind: pop3, port: %d }
                    admin: { port: %d, queueApi: { port: %d } }
                    auth: { allowPlaintextOnLoopback: true }
                    outbound:
                      lmtpTargets: ["127.0.0.1:%d", "127.0.0.1:%d"]
                      handoff: { workerRetry: 2s, directWait: 300ms }
                    %s
                    """.formatted(name, smtp, pop3, Ports.free(), queueApi, lmtp[0], lmtp[1],
                    common(dir.resolve(name))), smtp, pop3, queueApi);
        }
        for (Node n : all()) {
            n.start();
        }
        for (Node n : all()) {
            n.awaitStarted();
        }
    }

    private String common(Path home) {
        return """
                directory:
                  urls: [%s]
                  baseDn: dc=example,dc=test
                  bindDn: %s
                  bindPassword: ${file:%s}
                domains: [example.test]
                queue: { directory: %s, retrySchedule: [1s, 2s, 5s] }
                spool: { root: %s }
                """.formatted(slapd.url(), slapd.bindDn(), password, home.resolve("queue"), spool);
    }

    private List<Node> all() {
        List<Node> nodes = new ArrayList<>(List.of(workers));
        nodes.addAll(List.of(fronts));
        return nodes;
    }

    @AfterAll
    void stopCluster() throws Exception {
        synchronized (started) {
            for (ExternalProcess p : started) {
                p.kill();
            }
        }
        if (slapd != null) {
            slapd.close();
        }
    }

    /** What the client saw for one message. */
    record Outcome(int id, String user, int front, String reply) {
        boolean accepted() {
            return reply.startsWith("250");
        }
    }

    @Test
    void underKillsDrainAndHandOverEveryAcceptedMessageIsDeliveredExactlyOnce() throws Exception {
        Map<Integer, Outcome> outcomes = new ConcurrentHashMap<>();
        AtomicInteger next = new AtomicInteger();
        AtomicInteger done = new AtomicInteger();
        // Messages are released in steps, each fault while the previous step is still being sent:
        // the faults fall inside the load however slow this machine is.
        AtomicInteger released = new AtomicInteger(MESSAGES / 4);
        long loadStart = System.nanoTime();
        ExecutorService load = Executors.newFixedThreadPool(SESSIONS);
        List<Future<?>> sessions = new ArrayList<>();
        for (int s = 0; s < SESSIONS; s++) {
            int first = s;
            sessions.add(load.submit(() -> {
                session(first, next, released, done, outcomes);
                return null;
            }));
        }
        List<String> events = new ArrayList<>();
        try {
            // 1. kill -9 a front under load and restart it on the same queue.
            awaitProgress(done, MESSAGES / 8);
            fronts[0].kill9();
            events.add("front-1 killed at " + done.get());
            long restart = System.nanoTime();
            fronts[0].start();
            released.set(MESSAGES / 2);

            // 2. kill -9 a worker: the fronts fail over to the other one; restart it later.
            awaitProgress(done, MESSAGES * 3 / 8);
            workers[0].kill9();
            events.add("worker-1 killed at " + done.get());
            released.set(MESSAGES * 5 / 8);
            fronts[0].awaitStarted();
            events.add("front-1 back at " + done.get() + " after " + (System.nanoTime() - restart) / 1_000_000 + " ms");
            awaitProgress(done, MESSAGES / 2);
            workers[0].start();
            released.set(MESSAGES * 3 / 4);
            workers[0].awaitStarted();
            events.add("worker-1 back at " + done.get());

            // 3. drain front-3 with the CLI while the load goes on, with both workers frozen
            //    (SIGSTOP, as in a long pause or a partition) so that its queue cannot empty; its
            //    grace period runs out: kill -9. The workers thaw, and what is left in its queue
            //    goes to another process: queue drain --queue-dir.
            awaitProgress(done, MESSAGES * 5 / 8);
            signal("STOP", workers);
            // Messages front-3 accepts now wait for the frozen workers past directWait and are
            // queued there; the drain below needs some left to hand over: paced load for up to
            // 10 s, then one message straight to front-3 if its queue is still empty.
            long queuedBy = System.nanoTime() + Duration.ofSeconds(10).toNanos();
            while (envelopes(fronts[2].queue()) == 0 && System.nanoTime() < queuedBy) {
                released.set(Math.min(MESSAGES, released.get() + 1));
                Thread.sleep(50);
            }
            if (envelopes(fronts[2].queue()) == 0) {
                try (Smtp smtp = Smtp.open(fronts[2].smtp)) {
                    released.set(Math.min(MESSAGES, released.get() + 1));
                    int id = smtp == null ? -1 : take(next, released);
                    if (id >= 0) {
                        String user = id % 2 == 0 ? "alice" : "bob";
                        String reply;
                        try {
                            reply = smtp.send(id, user);
                        } catch (IOException e) {
                            reply = "io " + e.getClass().getSimpleName();
                        }
                        outcomes.put(id, new Outcome(id, user, 2, reply));
                        done.incrementAndGet();
                    }
                }
            }
            long drainStart = System.nanoTime();
            ExternalProcess drainCli = ExternalProcess.start("drain-cli", fronts[2].home, PosternProcess.command(
                    fronts[2].home, "queue", "drain", "--config", fronts[2].config.toString(), "--timeout", "2s",
                    "--interval", "200ms"));
            // Paced (20 messages/s), so that the load still runs when the CLI's JVM has started.
            while (drainCli.isAlive() && System.nanoTime() - drainStart < Duration.ofSeconds(150).toNanos()) {
                released.set(Math.min(MESSAGES, released.get() + 1));
                Thread.sleep(50);
            }
            int drainExit = drainCli.exitCode();
            long drainMillis = (System.nanoTime() - drainStart) / 1_000_000;
            fronts[2].kill9();
            long left = envelopes(fronts[2].queue());
            signal("CONT", workers);
            assertThat(drainExit).as(drainCli.logText()).isEqualTo(3);
            assertThat(drainCli.logText()).contains("not drained after").contains("draining: yes");
            assertThat(left).as("messages left in front-3's queue").isPositive();
            events.add("front-3 drain at " + done.get() + ": exit " + drainExit + " after " + drainMillis
                    + " ms, killed with " + left + " messages in its queue");
            released.set(MESSAGES);
            long handStart = System.nanoTime();
            ExternalProcess.Result handOver = cli(fronts[2], "queue", "drain", "--queue-dir",
                    fronts[2].queue().toString(), "--config", fronts[2].config.toString(), "--role", "front",
                    "--timeout", "90s", "--interval", "200ms");
            assertThat(handOver.exitCode()).as(handOver.output()).isZero();
            assertThat(envelopes(fronts[2].queue())).isZero();
            events.add("front-3's queue handed over (queue drain --queue-dir) in " + (System.nanoTime() - handStart) / 1_000_000
                    + " ms");

            for (Future<?> session : sessions) {
                session.get(Await.atLeast(Duration.ofSeconds(180)).toSeconds(), TimeUnit.SECONDS);
            }
        } finally {
            load.shutdownNow();
        }
        long loadMillis = (System.nanoTime() - loadStart) / 1_000_000;

        // 4. Every front's queue runs empty (worker-1 is back, fronts 1 and 2 deliver the rest).
        long drainStart = System.nanoTime();
        Await.until("the fronts' queues to be empty", Duration.ofSeconds(120),
                () -> envelopes(fronts[0].queue()) + envelopes(fronts[1].queue()) + envelopes(fronts[2].queue()) == 0);
        long queueDrainMillis = (System.nanoTime() - drainStart) / 1_000_000;

        Map<Integer, List<String>> delivered = maildirs();
        List<Outcome> accepted = outcomes.values().stream().filter(Outcome::accepted).toList();
        Map<Integer, Integer> duplicates = new TreeMap<>();
        delivered.forEach((id, where) -> {
            if (where.size() > 1) {
                duplicates.put(id, where.size());
            }
        });
        List<Integer> missing = accepted.stream().filter(o -> !delivered.containsKey(o.id())).map(Outcome::id).sorted()
                .toList();
        List<Integer> misplaced = accepted.stream().filter(o -> delivered.containsKey(o.id())
                && !delivered.get(o.id()).getFirst().equals(o.user())).map(Outcome::id).toList();
        Map<String, Long> refusals = new TreeMap<>();
        outcomes.values().stream().filter(o -> !o.accepted())
                .forEach(o -> refusals.merge(o.reply().length() > 40 ? o.reply().substring(0, 40) : o.reply(), 1L, Long::sum));
        int[] perFront = new int[3];
        accepted.forEach(o -> perFront[o.front()]++);
        System.out.printf("cluster test: sent=%d accepted(250)=%d per-front=%d/%d/%d refused=%s delivered=%d"
                        + " duplicates=%d missing=%d load=%d ms queues-empty-after=%d ms%n  events: %s%n",
                outcomes.size(), accepted.size(), perFront[0], perFront[1], perFront[2], refusals, delivered.size(),
                duplicates.size(), missing.size(), loadMillis, queueDrainMillis, events);

        assertThat(outcomes).hasSize(MESSAGES);
        assertThat(accepted.size()).as("most messages accepted despite the faults").isGreaterThan(MESSAGES * 9 / 10);
        assertThat(perFront).as("every front accepted mail").doesNotContain(0);
        assertThat(missing).as("accepted (250) but not delivered").isEmpty();
        assertThat(duplicates).as("delivered more than once (id -> copies)").isEmpty();
        assertThat(misplaced).as("delivered to the wrong Maildir").isEmpty();
        assertThat(delivered.keySet()).as("nothing delivered that was not sent")
                .allSatisfy(id -> assertThat(id).isBetween(0, MESSAGES - 1));

        // 5. POP3 on front-2 sees alice's mail accepted by every front; a second session on her
        //    mailbox through front-1 is refused while the first holds it.
        Set<Integer> alices = new HashSet<>();
        delivered.forEach((id, where) -> {
            if (where.getFirst().equals("alice")) {
                alices.add(id);
            }
        });
        try (Pop3 onFront2 = new Pop3(fronts[1].pop3)) {
            assertThat(onFront2.login("alice@example.test", "alice-pw")).startsWith("+OK");
            String stat = onFront2.command("STAT");
            assertThat(stat).startsWith("+OK " + alices.size() + " ");
            Set<Integer> seen = new HashSet<>();
            for (int i = 1; i <= alices.size(); i++) {
                Matcher m = ID.matcher(onFront2.multiline("TOP " + i + " 0"));
                assertThat(m.find()).isTrue();
                seen.add(Integer.parseInt(m.group(1)));
            }
            assertThat(seen).isEqualTo(alices);
            Set<Integer> origins = new HashSet<>();
            accepted.stream().filter(o -> seen.contains(o.id())).forEach(o -> origins.add(o.front()));
            assertThat(origins).as("fronts whose accepted mail front-2's POP3 served").containsExactlyInAnyOrder(0, 1, 2);
            try (Pop3 onFront1 = new Pop3(fronts[0].pop3)) {
                assertThat(onFront1.login("alice@example.test", "alice-pw")).startsWith("-ERR [IN-USE]");
            }
            assertThat(onFront2.command("QUIT")).startsWith("+OK");
        }
    }

    /** kill -STOP / -CONT the nodes' processes. */
    private static void signal(String signal, Node... nodes) throws Exception {
        for (Node n : nodes) {
            ExternalProcess.Result r = ExternalProcess.run(dir, Duration.ofSeconds(10),
                    List.of("kill", "-" + signal, Long.toString(n.process.pid())));
            assertThat(r.exitCode()).as(r.output()).isZero();
        }
    }

    private void awaitProgress(AtomicInteger done, int count) {
        Await.until(count + " messages sent", Duration.ofSeconds(180), () -> done.get() >= count);
    }

    /** Runs the postern CLI in front's folder and waits for it. */
    private static ExternalProcess.Result cli(Node node, String... args) throws Exception {
        return ExternalProcess.run(node.home, Duration.ofSeconds(150), PosternProcess.command(node.home, args));
    }

    private static long envelopes(Path queue) {
        Path messages = queue.resolve("messages");
        if (!Files.isDirectory(messages)) {
            return 0;
        }
        try (Stream<Path> files = Files.list(messages)) {
            return files.filter(p -> p.getFileName().toString().endsWith(".env")).count();
        } catch (IOException e) {
            return Long.MAX_VALUE;
        }
    }

    /** Each X-Cluster-Id found in the spool, with the user whose Maildir holds each copy. */
    private Map<Integer, List<String>> maildirs() throws IOException {
        Map<Integer, List<String>> found = new HashMap<>();
        for (String user : List.of("alice", "bob")) {
            for (String sub : List.of("new", "cur")) {
                Path folder = spool.resolve("example.test").resolve(user).resolve(sub);
                if (!Files.isDirectory(folder)) {
                    continue;
                }
                try (Stream<Path> files = Files.list(folder)) {
                    for (Path file : files.toList()) {
                        String text = Files.readString(file, StandardCharsets.US_ASCII);
                        Matcher m = ID.matcher(text);
                        assertThat(m.find()).as("a cluster message: " + file).isTrue();
                        assertThat(text).as("whole: " + file).endsWith(BODY_LINE);
                        found.computeIfAbsent(Integer.parseInt(m.group(1)), k -> new ArrayList<>()).add(user);
                    }
                }
            }
        }
        return found;
    }

    /**
     * One client session loop: connects to a front (the next one when a front is down or busy),
     * sends up to {@link #MESSAGES_PER_CONNECTION} messages, then moves on to the next front.
     * A message is only taken once a front has greeted and accepted EHLO.
     */
    private void session(int first, AtomicInteger next, AtomicInteger released, AtomicInteger done,
            Map<Integer, Outcome> outcomes) throws InterruptedException {
        int front = first % fronts.length;
        while (next.get() < MESSAGES) {
            front = (front + 1) % fronts.length;
            try (Smtp smtp = Smtp.open(fronts[front].smtp)) {
                if (smtp == null) {
                    Thread.sleep(50);
                    continue;
                }
                for (int n = 0; n < MESSAGES_PER_CONNECTION; n++) {
                    int id = take(next, released);
                    if (id < 0) {
                        return;
                    }
                    String user = id % 2 == 0 ? "alice" : "bob";
                    String reply;
                    try {
                        reply = smtp.send(id, user);
                    } catch (IOException e) {
                        reply = "io " + e.getClass().getSimpleName();
                    }
                    outcomes.put(id, new Outcome(id, user, front, reply));
                    done.incrementAndGet();
                    if (!reply.startsWith("250")) {
                        break; // a refused or broken session: the next message goes elsewhere
                    }
                }
                smtp.quit();
            }
        }
    }

    /** The next message id once it is released, or -1 when all are taken. */
    private static int take(AtomicInteger next, AtomicInteger released) throws InterruptedException {
        while (true) {
            int n = next.get();
            if (n >= MESSAGES) {
                return -1;
            }
            if (n < released.get()) {
                if (next.compareAndSet(n, n + 1)) {
                    return n;
                }
            } else {
                Thread.sleep(20);
            }
        }
    }

    /** A minimal SMTP client over a plain socket. */
    private static final class Smtp implements AutoCloseable {
        private final Socket socket;
        private final BufferedReader in;
        private final OutputStream out;

        private Smtp(Socket socket) throws IOException {
            this.socket = socket;
            this.in = new BufferedReader(new InputStreamReader(socket.getInputStream(), StandardCharsets.US_ASCII));
            this.out = socket.getOutputStream();
        }

        /** A session past EHLO, or null when the front is down or not accepting. */
        static Smtp open(int port) {
            Smtp smtp = null;
            try {
                Socket socket = new Socket();
                socket.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 5_000);
                socket.setSoTimeout(60_000);
                smtp = new Smtp(socket);
                if (smtp.reply().startsWith("220") && smtp.command("EHLO load.example.org").startsWith("250")) {
                    return smtp;
                }
            } catch (IOException e) {
                // down or refusing: the caller tries the next front
            }
            if (smtp != null) {
                smtp.close();
            }
            return null;
        }

        String send(int id, String user) throws IOException {
            String reply = command("MAIL FROM:<load@remote.example.org>");
            if (!reply.startsWith("250")) {
                return reply;
            }
            reply = command("RCPT TO:<" + user + "@example.test>");
            if (!reply.startsWith("250")) {
                return reply;
            }
            reply = command("DATA");
            if (!reply.startsWith("354")) {
                return reply;
            }
            StringBuilder message = new StringBuilder()
                    .append("From: load@remote.example.org\r\nTo: ").append(user).append("@example.test\r\n")
                    .append("Subject: cluster ").append(id).append("\r\nMessage-ID: <").append(id)
                    .append(".cluster@remote.example.org>\r\nX-Cluster-Id: ").append(id).append("\r\n\r\n");
            while (message.length() < 4096) {
                message.append(BODY_LINE);
            }
            out.write(message.append(".\r\n").toString().getBytes(StandardCharsets.US_ASCII));
            out.flush();
            return reply();
        }

        String command(String line) throws IOException {
            out.write((line + "\r\n").getBytes(StandardCharsets.US_ASCII));
            out.flush();
            return reply();
        }

        String reply() throws IOException {
            String line;
            do {
                line = in.readLine();
                if (line == null) {
                    throw new IOException("connection closed");
                }
            } while (line.length() > 3 && line.charAt(3) == '-');
            return line;
        }

        void quit() {
            try {
                command("QUIT");
            } catch (IOException e) {
                // closing anyway
            }
        }

        @Override
        public void close() {
            try {
                socket.close();
            } catch (IOException e) {
                // closed
            }
        }
    }

    /** A minimal POP3 client. */
    private static final class Pop3 implements AutoCloseable {
        private final Socket socket;
        private final BufferedReader in;
        private final OutputStream out;

        Pop3(int port) throws IOException {
            socket = new Socket(InetAddress.getLoopbackAddress(), port);
            socket.setSoTimeout(30_000);
            in = new BufferedReader(new InputStreamReader(socket.getInputStream(), StandardCharsets.US_ASCII));
            out = socket.getOutputStream();
            String greeting = in.readLine();
            if (greeting == null || !greeting.startsWith("+OK")) {
                throw new IOException("no POP3 greeting: " + greeting);
            }
        }

        String login(String user, String password) throws IOException {
            String reply = command("USER " + user);
            return reply.startsWith("+OK") ? command("PASS " + password) : reply;
        }

        String command(String line) throws IOException {
            out.write((line + "\r\n").getBytes(StandardCharsets.US_ASCII));
            out.flush();
            String reply = in.readLine();
            if (reply == null) {
                throw new IOException("connection closed after " + line);
            }
            return reply;
        }

        String multiline(String line) throws IOException {
            String status = command(line);
            if (!status.startsWith("+OK")) {
                throw new IOException(line + ": " + status);
            }
            StringBuilder text = new StringBuilder();
            String l;
            while (!(l = in.readLine()).equals(".")) {
                text.append(l.startsWith(".") ? l.substring(1) : l).append("\r\n");
            }
            return text.toString();
        }

        @Override
        public void close() throws IOException {
            socket.close();
        }
    }
}
