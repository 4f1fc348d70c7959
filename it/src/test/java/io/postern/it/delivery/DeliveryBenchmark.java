package io.postern.it.delivery;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.postern.config.DeliveryConfig;
import io.postern.config.SpoolConfig;
import io.postern.config.SpoolFormat;
import io.postern.delivery.LocalDelivery;
import io.postern.directory.Directory;
import io.postern.directory.Login;
import io.postern.directory.Lookup;
import io.postern.directory.Recipient;
import io.postern.it.support.Loopback;
import io.postern.it.support.Ports;
import io.postern.mail.Acceptance;
import io.postern.mail.Envelope;
import io.postern.mail.EnvelopeRecipient;
import io.postern.mail.IncomingMessage;
import io.postern.mail.MailAddress;
import io.postern.routing.LocalDeliverySink;
import io.postern.routing.RoutingDeliveryAgent;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * Not a test: local deliveries per second into Maildir, Postern's delivery path (LMTP sink:
 * temporary file, routing, MDA with fsync + rename + directory fsync) against Dovecot's LMTP
 * server on loopback and Postfix (smtpd, queue, virtual(8)), same disk, same concurrency, in one run.
 * Run with scripts/bench-delivery.sh. Arguments: work folder, messages, concurrency.
 */
public final class DeliveryBenchmark {
    private static final int USERS = 20;

    private DeliveryBenchmark() {
    }

    public static void main(String[] args) throws Exception {
        Path work = Path.of(args[0]).toAbsolutePath();
        int messages = Integer.parseInt(args[1]);
        int concurrency = Integer.parseInt(args[2]);
        Files.createDirectories(work);
        byte[] message = message();
        System.out.printf("messages=%d concurrency=%d size=%d users=%d work=%s%n", messages, concurrency,
                message.length, USERS, work);
        postern(work.resolve("warm-up"), Math.min(messages, 500), concurrency, message); // JIT, not measured
        Result postern = postern(work.resolve("postern"), messages, concurrency, message);
        System.out.println(postern.line("postern LocalDeliverySink (in process)"));
        Result mda = mdaOnly(work.resolve("postern-mda"), messages, concurrency, message);
        System.out.println(mda.line("postern LocalDelivery (MDA only)"));
        Result dovecot = dovecot(work.resolve("dovecot"), messages, concurrency, message);
        System.out.println(dovecot.line("dovecot 2.3 LMTP (loopback TCP)"));
        Result postfix = postfix(work.resolve("postfix"), messages, concurrency);
        System.out.println(postfix.line("postfix 3.7 smtpd+queue+virtual(8)"));
        System.exit(0);
    }

    record Result(int messages, long nanos, long[] latencies, long files) {
        String line(String name) {
            double seconds = nanos / 1e9;
            if (latencies.length == 0) {
                return String.format("%-42s %7.0f msg/s  (end to end, no per-message latency)  files %d/%d", name,
                        messages / seconds, files, messages);
            }
            Arrays.sort(latencies);
            return String.format("%-42s %7.0f msg/s  p50 %6.2f ms  p99 %6.2f ms  files %d/%d", name,
                    messages / seconds, latencies[latencies.length / 2] / 1e6,
                    latencies[(int) (latencies.length * 0.99)] / 1e6, files, messages);
        }
    }

    private static byte[] message() {
        StringBuilder text = new StringBuilder("From: bench@remote.test\r\nTo: user@example.test\r\nSubject: bench\r\n"
                + "Message-ID: <bench@remote.test>\r\n\r\n");
        while (text.length() < 4000) {
            text.append("The quick brown fox jumps over the lazy dog, again and again and again.\r\n");
        }
        return text.toString().getBytes(StandardCharsets.US_ASCII);
    }

    private static Result postern(Path dir, int messages, int concurrency, byte[] message) throws Exception {
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        LocalDelivery mda = new LocalDelivery(new SpoolConfig(dir.resolve("spool"), SpoolFormat.MAILDIR,
                "{domain}/{localpart}"), "bench.test", registry);
        DeliveryConfig config = new DeliveryConfig(10, 1000, concurrency, dir.resolve("tmp"),
                DeliveryConfig.DEFAULT_MEMORY_THRESHOLD);
        try (RoutingDeliveryAgent agent = new RoutingDeliveryAgent(new UsersDirectory(), mda, Optional.empty(), config,
                registry); LocalDeliverySink sink = new LocalDeliverySink(agent, config)) {
            Result result = run(messages, concurrency, (worker, i) -> {
                MailAddress rcpt = new MailAddress("u" + (i % USERS), "example.test");
                IncomingMessage incoming = sink.open(new Envelope(MailAddress.parse("bench@remote.test"),
                        List.of(EnvelopeRecipient.of(rcpt)), Envelope.BodyType.SEVEN_BIT, false, Optional.empty(),
                        Optional.empty(), new Envelope.SessionTrace("127.0.0.1", "localhost", "bench", "LMTP",
                        Optional.empty(), Optional.empty(), Instant.now())));
                incoming.write(message, 0, message.length);
                Acceptance acceptance = incoming.commit().get(30, TimeUnit.SECONDS);
                if (!(acceptance.outcomes().getFirst() instanceof io.postern.mail.RecipientOutcome.Succeeded)) {
                    throw new IllegalStateException(acceptance.toString());
                }
            });
            return new Result(result.messages(), result.nanos(), result.latencies(), countFiles(dir.resolve("spool")));
        }
    }

    /** The MDA alone: no temporary file, no routing, the caller's threads. */
    private static Result mdaOnly(Path dir, int messages, int concurrency, byte[] message) throws Exception {
        LocalDelivery mda = new LocalDelivery(new SpoolConfig(dir, SpoolFormat.MAILDIR, "{domain}/{localpart}"),
                "bench.test", new SimpleMeterRegistry());
        io.postern.mail.MessageContent content = MaildirWriterMain.bytes(message);
        Result result = run(messages, concurrency, (worker, i) -> {
            MailAddress rcpt = new MailAddress("u" + (i % USERS), "example.test");
            Recipient.Mailbox mailbox = new Recipient.Mailbox(rcpt, "uid=x", Optional.empty(), OptionalLong.empty(), false);
            if (!(mda.deliver(MailAddress.parse("bench@remote.test"), content, mailbox, rcpt)
                    instanceof io.postern.delivery.LocalOutcome.Delivered)) {
                throw new IllegalStateException("delivery failed");
            }
        });
        return new Result(result.messages(), result.nanos(), result.latencies(), countFiles(dir));
    }

    private static Result dovecot(Path dir, int messages, int concurrency, byte[] message) throws Exception {
        int port = Ports.free();
        for (String sub : List.of("run", "state", "mail", "home")) {
            Files.createDirectories(dir.resolve(sub));
        }
        // Dovecot never delivers as root: mail belongs to nobody, as a real deployment's vmail user.
        run(List.of("chown", "-R", "65534:65534", dir.resolve("mail").toString(), dir.resolve("home").toString()));
        String conf = """
                base_dir = %1$s/run
                state_dir = %1$s/state
                log_path = %1$s/dovecot.log
                protocols = lmtp
                ssl = no
                listen = 127.0.0.1
                hostname = bench.test
                postmaster_address = postmaster@example.test
                mail_location = maildir:%1$s/mail/%%d/%%n
                mail_fsync = optimized
                passdb {
                  driver = static
                  args = nopassword=y
                }
                userdb {
                  driver = static
                  args = uid=65534 gid=65534 home=%1$s/home/%%d/%%n allow_all_users=yes
                }
                service lmtp {
                  inet_listener lmtp {
                    address = 127.0.0.1
                    port = %2$d
                  }
                  unix_listener lmtp {
                    mode = 0600
                  }
                }
                """.formatted(dir, port);
        Files.writeString(dir.resolve("dovecot.conf"), conf);
        Process dovecot = new ProcessBuilder("dovecot", "-F", "-c", dir.resolve("dovecot.conf").toString())
                .redirectErrorStream(true).redirectOutput(dir.resolve("dovecot.out").toFile()).start();
        try {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
            while (!Loopback.accepts("127.0.0.1", port)) {
                if (!dovecot.isAlive() || System.nanoTime() > deadline) {
                    throw new IllegalStateException("dovecot did not start: " + Files.readString(dir.resolve("dovecot.out"))
                            + (Files.exists(dir.resolve("dovecot.log")) ? Files.readString(dir.resolve("dovecot.log")) : ""));
                }
                Thread.sleep(50);
            }
            List<LmtpClient> clients = new ArrayList<>();
            for (int c = 0; c < concurrency; c++) {
                clients.add(new LmtpClient(port));
            }
            Result result = run(messages, concurrency,
                    (worker, i) -> clients.get(worker).send("u" + (i % USERS) + "@example.test", message));
            for (LmtpClient client : clients) {
                client.close();
            }
            return new Result(result.messages(), result.nanos(), result.latencies(), countFiles(dir.resolve("mail")));
        } finally {
            dovecot.destroy();
            dovecot.waitFor(10, TimeUnit.SECONDS);
        }
    }

    /**
     * Postfix has no LMTP server: smtp-source (one process per concurrent sender, each to its own
     * user) feeds smtpd, the queue and virtual(8) writes the Maildirs; timed until every file is in new/.
     */
    private static Result postfix(Path dir, int messages, int concurrency) throws Exception {
        int port = Ports.free();
        for (String sub : List.of("log", "mail", "data", "queue")) {
            Files.createDirectories(dir.resolve(sub));
        }
        run(List.of("chown", "65534:65534", dir.resolve("mail").toString()));
        run(List.of("chown", "postfix", dir.resolve("data").toString()));
        StringBuilder users = new StringBuilder();
        for (int u = 0; u < USERS; u++) {
            users.append("u").append(u).append("@example.test example.test/u").append(u).append("/\n");
        }
        Files.writeString(dir.resolve("vmailbox"), users);
        Files.writeString(dir.resolve("main.cf"), """
                compatibility_level = 3.6
                queue_directory = %1$s/queue
                data_directory = %1$s/data
                maillog_file_prefixes = %1$s
                maillog_file = %1$s/log/postfix.log
                inet_interfaces = 127.0.0.1
                inet_protocols = ipv4
                myhostname = bench.test
                mydestination =
                alias_maps =
                alias_database =
                mynetworks = 127.0.0.0/8
                smtpd_recipient_restrictions = permit_mynetworks, reject
                virtual_mailbox_domains = example.test
                virtual_mailbox_base = %1$s/mail
                virtual_mailbox_maps = texthash:%1$s/vmailbox
                virtual_uid_maps = static:65534
                virtual_gid_maps = static:65534
                virtual_transport = virtual
                """.formatted(dir));
        StringBuilder master = new StringBuilder();
        for (String line : Files.readAllLines(Path.of("/etc/postfix/master.cf"))) {
            if (line.isBlank() || line.startsWith("#") || Character.isWhitespace(line.charAt(0))) {
                master.append(line).append('\n');
                continue;
            }
            String[] f = line.trim().split("\\s+");
            if (f[0].equals("smtp") && f[1].equals("inet")) {
                f[0] = "127.0.0.1:" + port;
            }
            if (f.length >= 8) {
                f[4] = "n"; // no chroot in a private instance
            }
            master.append(String.join(" ", f)).append('\n');
        }
        Files.writeString(dir.resolve("master.cf"), master);
        run(List.of("postfix", "-c", dir.toString(), "start"));
        try {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
            while (!Loopback.accepts("127.0.0.1", port)) {
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("postfix did not start: " + Files.readString(dir.resolve("log/postfix.log")));
                }
                Thread.sleep(50);
            }
            long start = System.nanoTime();
            List<Process> senders = new ArrayList<>();
            for (int c = 0; c < concurrency; c++) {
                int count = messages / concurrency + (c < messages % concurrency ? 1 : 0);
                senders.add(new ProcessBuilder("smtp-source", "-s", "1", "-m", String.valueOf(count), "-l", "3900",
                        "-f", "bench@remote.test", "-t", "u" + c + "@example.test", "127.0.0.1:" + port)
                        .redirectErrorStream(true).redirectOutput(dir.resolve("log/smtp-source-" + c + ".log").toFile())
                        .start());
            }
            long deadline2 = System.nanoTime() + TimeUnit.MINUTES.toNanos(5);
            long files;
            while ((files = countFiles(dir.resolve("mail"))) < messages && System.nanoTime() < deadline2) {
                Thread.sleep(10);
            }
            long nanos = System.nanoTime() - start;
            for (Process p : senders) {
                p.waitFor(10, TimeUnit.SECONDS);
            }
            return new Result(messages, nanos, new long[0], files);
        } finally {
            run(List.of("postfix", "-c", dir.toString(), "stop"));
        }
    }

    private static void run(List<String> command) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD)
                .start();
        if (!p.waitFor(30, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new IllegalStateException(command + " did not finish");
        }
    }

    @FunctionalInterface
    interface Delivery {
        void deliver(int worker, int index) throws Exception;
    }

    private static Result run(int messages, int concurrency, Delivery delivery) throws Exception {
        long[] latencies = new long[messages];
        ExecutorService pool = Executors.newFixedThreadPool(concurrency);
        long start = System.nanoTime();
        List<Future<Void>> futures = new ArrayList<>();
        for (int w = 0; w < concurrency; w++) {
            int worker = w;
            futures.add(pool.submit((Callable<Void>) () -> {
                for (int i = worker; i < messages; i += concurrency) {
                    long t = System.nanoTime();
                    delivery.deliver(worker, i);
                    latencies[i] = System.nanoTime() - t;
                }
                return null;
            }));
        }
        for (Future<Void> f : futures) {
            f.get(10, TimeUnit.MINUTES);
        }
        long nanos = System.nanoTime() - start;
        pool.shutdown();
        return new Result(messages, nanos, latencies, 0);
    }

    /** Messages in {@code root/<domain>/<user>/new}; listing names only, as writers rename files meanwhile. */
    private static long countFiles(Path root) throws IOException {
        long count = 0;
        try (Stream<Path> domains = Files.list(root)) {
            for (Path domain : domains.toList()) {
                try (Stream<Path> users = Files.list(domain)) {
                    for (Path user : users.toList()) {
                        Path newDir = user.resolve("new");
                        if (Files.isDirectory(newDir)) {
                            try (Stream<Path> files = Files.list(newDir)) {
                                count += files.count();
                            }
                        }
                    }
                }
            }
        }
        return count;
    }

    /** One LMTP connection (RFC 2033), one recipient per transaction. */
    private static final class LmtpClient implements AutoCloseable {
        private final Socket socket;
        private final BufferedReader in;
        private final OutputStream out;

        LmtpClient(int port) throws IOException {
            socket = new Socket("127.0.0.1", port);
            in = new BufferedReader(new InputStreamReader(socket.getInputStream(), StandardCharsets.US_ASCII));
            out = socket.getOutputStream();
            expect("220");
            command("LHLO bench.test");
            expect("250");
        }

        void send(String rcpt, byte[] message) throws IOException {
            command("MAIL FROM:<bench@remote.test>");
            expect("250");
            command("RCPT TO:<" + rcpt + ">");
            expect("250");
            command("DATA");
            expect("354");
            out.write(message);
            out.write(".\r\n".getBytes(StandardCharsets.US_ASCII));
            out.flush();
            expect("250");
        }

        private void command(String line) throws IOException {
            out.write((line + "\r\n").getBytes(StandardCharsets.US_ASCII));
            out.flush();
        }

        /** Reads one (possibly multi-line) reply and checks its code. */
        private void expect(String code) throws IOException {
            String line;
            do {
                line = in.readLine();
                if (line == null) {
                    throw new IOException("connection closed, expected " + code);
                }
                if (!line.startsWith(code)) {
                    throw new IOException("expected " + code + ", got: " + line);
                }
            } while (line.length() > 3 && line.charAt(3) == '-');
        }

        @Override
        public void close() throws IOException {
            command("QUIT");
            socket.close();
        }
    }

    /** example.test with mailboxes u0..u19. */
    private static final class UsersDirectory implements Directory {
        @Override
        public Lookup<Boolean> isLocalDomain(String domain) {
            return Lookup.found(domain.equals("example.test"));
        }

        @Override
        public Lookup<Recipient> resolve(MailAddress address) {
            return Lookup.found(new Recipient.Mailbox(address, "uid=" + address.localPart(), Optional.empty(),
                    OptionalLong.empty(), false));
        }

        @Override
        public Lookup<Boolean> maySendAs(Login.Identity identity, MailAddress sender) {
            return Lookup.found(false);
        }

        @Override
        public Lookup<io.postern.directory.SenderRights> senderRights(Login.Identity identity,
                io.postern.directory.SenderRightsQuestion question) {
            return Lookup.found(io.postern.directory.SenderRights.UNRESTRICTED);
        }

        @Override
        public Lookup<java.util.List<io.postern.config.Cidr>> trustedNetworks(io.postern.directory.NetworkSource source) {
            return Lookup.found(java.util.List.of());
        }

        @Override
        public Login authenticate(String login, String password) {
            return new Login.Failed(Login.Reason.UNKNOWN_USER);
        }
    }
}
