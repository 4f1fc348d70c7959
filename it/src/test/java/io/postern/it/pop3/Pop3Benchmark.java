package io.postern.it.pop3;

import io.postern.config.AuthConfig;
import io.postern.config.TlsMode;
import io.postern.testing.MapDirectory;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Not a test: logins per second and RETR throughput of Postern's POP3 server against Dovecot's
 * pop3 on the same Maildirs, in the same run, with the same client (this class). Run with
 * scripts/bench-pop3.sh; figures go to docs/benchmarks.md.
 *
 * <p>Args (all optional): users messagesPerUser messageBytes threads secondsPerPhase.
 *
 * <p>Or, client only, against servers started elsewhere (scripts/bench-pop3-ldap.sh):
 * {@code servers NAME=PORT,NAME=PORT,... users threads secondsPerPhase userFormat passwordFormat},
 * where the formats take the user number from 1 (e.g. {@code user%05d@example.test}).
 */
public final class Pop3Benchmark {
    // Login names and passwords from the user number; the built-in mode uses user0.. / pw0..
    private static String userFormat = "user%d@example.test";
    private static String passwordFormat = "pw%d";
    private static int firstUser = 0;

    private Pop3Benchmark() {
    }

    /** Client only: warm up each server, then measure logins, then RETR, server after server. */
    private static void external(String[] args) throws Exception {
        List<String[]> servers = new ArrayList<>();
        for (String server : args[1].split(",")) {
            servers.add(server.split("="));
        }
        int users = Integer.parseInt(args[2]);
        int threads = Integer.parseInt(args[3]);
        int seconds = Integer.parseInt(args[4]);
        userFormat = args[5];
        passwordFormat = args[6];
        firstUser = 1;
        for (String[] server : servers) {
            run(server[0], "login", Integer.parseInt(server[1]), users, threads, 2, false);
            run(server[0], "retr", Integer.parseInt(server[1]), users, threads, 2, true);
        }
        List<Result> results = new ArrayList<>();
        for (String[] server : servers) {
            results.add(run(server[0], "login", Integer.parseInt(server[1]), users, threads, seconds, false));
        }
        for (String[] server : servers) {
            results.add(run(server[0], "retr", Integer.parseInt(server[1]), users, threads, seconds, true));
        }
        System.out.println("| server          | phase  |    ops/s   |   MiB/s    | errors |");
        System.out.println("| --------------- | ------ | ---------- | ---------- | ------ |");
        results.forEach(r -> System.out.println(r.row()));
    }

    record Result(String server, String phase, long operations, long bytes, double seconds, long errors) {
        String row() {
            return String.format(Locale.ROOT, "| %-15s | %-6s | %,10.0f | %,10.1f | %6d |", server, phase,
                    operations / seconds, bytes / seconds / 1024 / 1024, errors);
        }
    }

    public static void main(String[] args) throws Exception {
        if (args.length > 0 && args[0].equals("servers")) {
            external(args);
            return;
        }
        int users = args.length > 0 ? Integer.parseInt(args[0]) : 32;
        int messages = args.length > 1 ? Integer.parseInt(args[1]) : 20;
        int size = args.length > 2 ? Integer.parseInt(args[2]) : 50_000;
        int threads = args.length > 3 ? Integer.parseInt(args[3]) : 8;
        int seconds = args.length > 4 ? Integer.parseInt(args[4]) : 10;
        Path dir = Files.createTempDirectory("pop3-bench");
        // Dovecot's auth process runs as the dovecot user and must reach the passwd file.
        Files.setPosixFilePermissions(dir, java.nio.file.attribute.PosixFilePermissions.fromString("rwxr-xr-x"));
        Path spool = dir.resolve("spool");
        MapDirectory directory = new MapDirectory();
        StringBuilder passwd = new StringBuilder();
        String body = ("x".repeat(76) + "\n").repeat(Math.max(1, size / 78));
        for (int u = 0; u < users; u++) {
            String address = "user" + u + "@example.test";
            directory.add(address, "pw" + u, false, Optional.empty());
            passwd.append(address).append(":{PLAIN}pw").append(u).append("::::::\n");
            Path maildir = spool.resolve("example.test").resolve("user" + u);
            for (int m = 0; m < messages; m++) {
                Pop3Node.deliver(maildir, (1_700_000_000L + m) + ".M" + m + "P" + u + ".bench",
                        "From: bench@example.test\nSubject: message " + m + "\n\n" + body);
            }
        }
        Files.writeString(dir.resolve("passwd"), passwd);
        // Dovecot will not access mail as root: the spool belongs to nobody (Postern, as root, reads it too).
        new ProcessBuilder("chown", "-R", "65534:65534", spool.toString()).inheritIO().start().waitFor();
        int dovecotPort = io.postern.it.support.Ports.free();
        Process dovecot = startDovecot(dir, spool, dovecotPort);
        List<Result> results = new ArrayList<>();
        if (System.getenv("BENCH_HOLD") != null) {
            try (Pop3Node postern = new Pop3Node(spool, "bench", TlsMode.NONE,
                    new AuthConfig(true, true, 1_000_000, Duration.ofMinutes(1)), Duration.ofMinutes(2),
                    dir.resolve("tls"), directory)) {
                System.out.println("HOLD postern=" + postern.port() + " dovecot=" + dovecotPort);
                Thread.sleep(Long.parseLong(System.getenv("BENCH_HOLD")) * 1000);
            }
            dovecot.destroy();
            return;
        }
        try (Pop3Node postern = new Pop3Node(spool, "bench", TlsMode.NONE,
                new AuthConfig(true, true, 1_000_000, Duration.ofMinutes(1)), Duration.ofMinutes(2),
                dir.resolve("tls"), directory)) {
            // Warm both up (JIT, Dovecot's first index build), then measure in the same run.
            run("postern", "login", postern.port(), users, threads, 2, false);
            run("dovecot", "login", dovecotPort, users, threads, 2, false);
            run("postern", "retr", postern.port(), users, threads, 2, true);
            run("dovecot", "retr", dovecotPort, users, threads, 2, true);
            results.add(run("postern", "login", postern.port(), users, threads, seconds, false));
            results.add(run("dovecot", "login", dovecotPort, users, threads, seconds, false));
            results.add(run("postern", "retr", postern.port(), users, threads, seconds, true));
            results.add(run("dovecot", "retr", dovecotPort, users, threads, seconds, true));
        } finally {
            dovecot.destroy();
            dovecot.waitFor(10, TimeUnit.SECONDS);
        }
        System.out.printf(Locale.ROOT, "%d users x %d messages of ~%d octets, %d client threads, %d s per phase, %s%n",
                users, messages, size, threads, seconds, dir);
        System.out.println("| server          | phase  |    ops/s   |   MiB/s    | errors |");
        System.out.println("| --------------- | ------ | ---------- | ---------- | ------ |");
        results.forEach(r -> System.out.println(r.row()));
        System.out.println("login = connect, USER, PASS, STAT, QUIT; retr = login, RETR every message, QUIT (ops = messages)");
    }

    private static Process startDovecot(Path dir, Path spool, int port) throws Exception {
        Path conf = dir.resolve("dovecot.conf");
        Files.createDirectories(dir.resolve("run"));
        Files.createDirectories(dir.resolve("state"));
        Files.writeString(conf, """
                base_dir = %1$s/run
                state_dir = %1$s/state
                log_path = %1$s/dovecot.log
                protocols = pop3
                listen = 127.0.0.1
                ssl = no
                disable_plaintext_auth = no
                auth_mechanisms = plain login
                mail_location = maildir:%2$s/%%d/%%n
                mail_uid = 65534
                mail_gid = 65534
                pop3_uidl_format = %%f
                passdb {
                  driver = passwd-file
                  args = scheme=PLAIN username_format=%%u %1$s/passwd
                }
                userdb {
                  driver = static
                  args = allow_all_users=yes home=%2$s/%%d/%%n
                }
                service pop3-login {
                  inet_listener pop3 {
                    address = 127.0.0.1
                    port = %3$d
                  }
                  service_count = 0
                  process_min_avail = 2
                }
                service imap-login {
                  inet_listener imap {
                    port = 0
                  }
                }
                """.formatted(dir, spool, port));
        Process process = new ProcessBuilder("dovecot", "-F", "-c", conf.toString())
                .redirectErrorStream(true).redirectOutput(dir.resolve("dovecot.out").toFile()).start();
        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                throw new IllegalStateException("dovecot exited: " + Files.readString(dir.resolve("dovecot.out"))
                        + (Files.exists(dir.resolve("dovecot.log")) ? Files.readString(dir.resolve("dovecot.log")) : ""));
            }
            try (Socket probe = new Socket()) {
                probe.connect(new InetSocketAddress("127.0.0.1", port), 200);
                probe.setSoTimeout(2000);
                if (new String(probe.getInputStream().readNBytes(3), StandardCharsets.US_ASCII).equals("+OK")) {
                    return process;
                }
            } catch (IOException notYet) {
                Thread.sleep(100);
            }
        }
        process.destroyForcibly();
        throw new IllegalStateException("dovecot not ready");
    }

    private static Result run(String server, String phase, int port, int users, int threads, int seconds,
                              boolean retrieve) throws InterruptedException {
        AtomicLong operations = new AtomicLong();
        AtomicLong bytes = new AtomicLong();
        AtomicLong errors = new AtomicLong();
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        long start = System.nanoTime();
        List<Thread> workers = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            int id = t;
            workers.add(Thread.ofPlatform().start(() -> {
                int round = 0;
                while (System.nanoTime() < end) {
                    // Threads use disjoint users, so no session waits on another's mailbox lock.
                    int user = (id + threads * round++) % users;
                    try {
                        long[] done = session(port, user, retrieve);
                        operations.addAndGet(done[0]);
                        bytes.addAndGet(done[1]);
                    } catch (IOException e) {
                        if (errors.incrementAndGet() == 1) {
                            System.err.println(server + " " + phase + ": " + e.getMessage());
                        }
                    }
                }
            }));
        }
        for (Thread worker : workers) {
            worker.join();
        }
        return new Result(server, phase, operations.get(), bytes.get(), (System.nanoTime() - start) / 1e9, errors.get());
    }

    /** One session; returns {operations, octets}. */
    private static long[] session(int port, int user, boolean retrieve) throws IOException {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress("127.0.0.1", port), 2000);
            socket.setSoTimeout(10_000);
            socket.setTcpNoDelay(true);
            InputStream in = new BufferedInputStream(socket.getInputStream(), 64 * 1024);
            OutputStream out = socket.getOutputStream();
            expectOk(in);
            command(out, in, "USER " + String.format(Locale.ROOT, userFormat, user + firstUser));
            command(out, in, "PASS " + String.format(Locale.ROOT, passwordFormat, user + firstUser));
            String stat = command(out, in, "STAT");
            if (!retrieve) {
                command(out, in, "QUIT");
                return new long[] {1, 0};
            }
            int count = Integer.parseInt(stat.split(" ")[1]);
            long octets = 0;
            for (int i = 1; i <= count; i++) {
                command(out, in, "RETR " + i);
                octets += readBody(in);
            }
            command(out, in, "QUIT");
            return new long[] {count, octets};
        }
    }

    private static String command(OutputStream out, InputStream in, String line) throws IOException {
        out.write((line + "\r\n").getBytes(StandardCharsets.US_ASCII));
        out.flush();
        return expectOk(in);
    }

    private static String expectOk(InputStream in) throws IOException {
        StringBuilder line = new StringBuilder();
        int b;
        while ((b = in.read()) >= 0 && b != '\n') {
            if (b != '\r') {
                line.append((char) b);
            }
        }
        if (!line.toString().startsWith("+OK")) {
            throw new IOException("not +OK: " + line);
        }
        return line.toString();
    }

    /** Reads a multi-line body up to CRLF.CRLF; returns its octets. */
    private static long readBody(InputStream in) throws IOException {
        long count = 0;
        // The body starts at a line start: pretend the octet before it was a LF.
        int a = -1;
        int b1 = -1;
        int c = '\n';
        int b;
        while ((b = in.read()) >= 0) {
            count++;
            if (b == '\n' && c == '\r' && b1 == '.' && a == '\n') {
                return count;
            }
            a = b1;
            b1 = c;
            c = b;
        }
        throw new IOException("closed in body");
    }
}
