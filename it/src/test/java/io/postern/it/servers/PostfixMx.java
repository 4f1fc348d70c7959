package io.postern.it.servers;

import io.postern.it.support.ExternalProcess;
import io.postern.it.support.Loopback;
import io.postern.testing.Await;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.nio.file.attribute.UserPrincipal;
import java.time.Duration;
import java.util.List;

/**
 * A private Postfix on 127.0.0.1 as a receiving MX with STARTTLS (smtpd_tls_security_level=may):
 * it accepts mail for the given domains and discards it after queueing, logging each TLS session
 * ("TLS connection established") and each message ("to=<...>, ... status=sent") to its log file.
 * Everything lives in the test's folder (config, queue, data, log); started with
 * {@code postfix -c DIR start}, stopped with {@code postfix -c DIR stop}.
 */
public final class PostfixMx implements AutoCloseable {
    private final Path dir;
    private final Path log;

    private PostfixMx(Path dir, Path log) {
        this.dir = dir;
        this.log = log;
    }

    public static PostfixMx start(Path dir, int port, String hostname, Path certificate, Path privateKey,
                                  List<String> domains) throws IOException, InterruptedException {
        return start(dir, port, hostname, certificate, privateKey, domains, java.util.Optional.empty());
    }

    /**
     * With {@code saslSocket} (a Dovecot auth socket), smtpd offers AUTH after STARTTLS and relays
     * to any domain only for authenticated clients; other clients may still send to {@code domains}.
     */
    public static PostfixMx start(Path dir, int port, String hostname, Path certificate, Path privateKey,
                                  List<String> domains, java.util.Optional<Path> saslSocket)
            throws IOException, InterruptedException {
        Path etc = Files.createDirectories(dir.resolve("etc"));
        Files.createDirectories(dir.resolve("queue"));
        Path data = Files.createDirectories(dir.resolve("data"));
        Path logDir = Files.createDirectories(dir.resolve("log"));
        // Postfix daemons run as the postfix user: the folders above must be reachable by it.
        Path tmp = Path.of(System.getProperty("java.io.tmpdir")).toAbsolutePath();
        if (!dir.toAbsolutePath().startsWith(tmp)) {
            throw new IllegalArgumentException("PostfixMx needs a folder under " + tmp + ": " + dir);
        }
        for (Path p = dir.toAbsolutePath(); !p.equals(tmp); p = p.getParent()) {
            Files.setPosixFilePermissions(p, PosixFilePermissions.fromString("rwxr-xr-x"));
        }
        UserPrincipal postfix = dir.getFileSystem().getUserPrincipalLookupService().lookupPrincipalByName("postfix");
        Files.setOwner(data, postfix);
        Files.writeString(etc.resolve("main.cf"), String.join("\n",
                "compatibility_level = 3.6",
                "queue_directory = " + dir.resolve("queue"),
                "data_directory = " + data,
                "maillog_file = " + logDir.resolve("postfix.log"),
                "maillog_file_prefixes = " + dir,
                "inet_interfaces = 127.0.0.1",
                "inet_protocols = ipv4",
                "myhostname = " + hostname,
                "mydestination =",
                "alias_maps =",
                "alias_database =",
                "mynetworks = 127.0.0.0/8",
                "relay_domains = " + String.join(", ", domains),
                "default_transport = discard:",
                "relay_transport = discard:",
                "smtpd_tls_security_level = may",
                "smtpd_tls_cert_file = " + certificate,
                "smtpd_tls_key_file = " + privateKey,
                "smtpd_tls_loglevel = 1",
                saslSocket.isPresent()
                        ? "smtpd_relay_restrictions = permit_sasl_authenticated, reject_unauth_destination"
                        : "smtpd_relay_restrictions = permit_mynetworks, reject_unauth_destination",
                saslSocket.map(s -> "smtpd_sasl_auth_enable = yes\nsmtpd_sasl_type = dovecot\nsmtpd_sasl_path = " + s
                        + "\nsmtpd_tls_auth_only = yes").orElse(""),
                ""), StandardCharsets.US_ASCII);
        Files.writeString(etc.resolve("master.cf"), String.join("\n",
                "127.0.0.1:" + port + " inet n - n - - smtpd",
                "pickup unix n - n 60 1 pickup",
                "cleanup unix n - n - 0 cleanup",
                "qmgr unix n - n 300 1 qmgr",
                "tlsmgr unix - - n 1000? 1 tlsmgr",
                "rewrite unix - - n - - trivial-rewrite",
                "bounce unix - - n - 0 bounce",
                "defer unix - - n - 0 bounce",
                "trace unix - - n - 0 bounce",
                "verify unix - - n - 1 verify",
                "flush unix n - n 1000? 0 flush",
                "proxymap unix - - n - - proxymap",
                "smtp unix - - n - - smtp",
                "relay unix - - n - - smtp",
                "showq unix n - n - - showq",
                "error unix - - n - - error",
                "retry unix - - n - - error",
                "discard unix - - n - - discard",
                "anvil unix - - n - 1 anvil",
                "scache unix - - n - 1 scache",
                "postlog unix-dgram n - n - 1 postlogd",
                ""), StandardCharsets.US_ASCII);
        // Without syslog, postfix start reports its fatal errors only on a terminal: script(1) gives it one.
        ExternalProcess.Result started = ExternalProcess.run(dir, Duration.ofSeconds(30),
                List.of("script", "-qc", "postfix -c " + etc + " start", "/dev/null"));
        PostfixMx mx = new PostfixMx(dir, logDir.resolve("postfix.log"));
        if (started.exitCode() != 0) {
            throw new IllegalStateException("postfix did not start: " + started.output() + mx.log());
        }
        long deadline = System.nanoTime() + Duration.ofSeconds(15).toNanos();
        while (!(Loopback.accepts("127.0.0.1", port) && mx.log().contains("daemon started"))) {
            if (System.nanoTime() > deadline) {
                mx.close();
                throw new IllegalStateException("postfix not ready: " + mx.log());
            }
            Thread.sleep(50);
        }
        return mx;
    }

    public String log() throws IOException {
        return Files.exists(log) ? Files.readString(log, StandardCharsets.UTF_8) : "";
    }

    /** Waits (bounded) until the log has a line containing every one of {@code parts}. */
    public String awaitLogLine(Duration timeout, String... parts) throws IOException, InterruptedException {
        return awaitLogLineAfter(0, timeout, parts);
    }

    /** Like {@link #awaitLogLine} for the part of the log after {@code offset} (a {@code log().length()}). */
    public String awaitLogLineAfter(int offset, Duration timeout, String... parts)
            throws IOException, InterruptedException {
        long deadline = System.nanoTime() + Await.atLeast(timeout).toNanos();
        while (System.nanoTime() < deadline) {
            String log = log();
            for (String line : log.substring(Math.min(offset, log.length())).split("\n")) {
                if (java.util.Arrays.stream(parts).allMatch(line::contains)) {
                    return line;
                }
            }
            Thread.sleep(50);
        }
        throw new AssertionError("no postfix log line with " + java.util.Arrays.toString(parts) + ":\n" + log());
    }

    @Override
    public void close() throws InterruptedException {
        try {
            ExternalProcess.run(dir, Duration.ofSeconds(30),
                    List.of("script", "-qc", "postfix -c " + dir.resolve("etc") + " stop", "/dev/null"));
        } catch (IOException e) {
            // Best effort: the test is over.
        }
    }
}
