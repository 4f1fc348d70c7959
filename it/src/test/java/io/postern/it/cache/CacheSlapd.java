package io.postern.it.cache;

import io.postern.it.servers.Slapd;
import io.postern.it.support.ExternalProcess;
import io.postern.it.support.PosternProcess;
import java.io.IOException;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * A private slapd with the syncprov overlay (RFC 4533), seeded with ldif/openldap/sample.ldif,
 * (or another LDIF), following docs real-servers.md. Minimal on purpose: replace with the directory suite's Slapd
 * harness once both are merged. Can be killed (SIGKILL) and started again on the same data and
 * port. Runs with log level {@code stats} so that searches can be counted on the server side.
 * Mutable, one owner.
 */
final class CacheSlapd implements AutoCloseable {
    static final String BASE = "dc=example,dc=test";
    static final String ADMIN = "cn=admin," + BASE;
    static final String PASSWORD = Slapd.PASSWORD;

    private final Path dir;
    private final int port;
    private ExternalProcess process;

    private CacheSlapd(Path dir, int port) {
        this.dir = dir;
        this.port = port;
    }

    static CacheSlapd start(Path dir, int port) throws Exception {
        return start(dir, port, PosternProcess.checkout().resolve("ldif/openldap/sample.ldif"));
    }

    /** Seeded from {@code data} instead of the sample directory. */
    static CacheSlapd start(Path dir, int port, Path data) throws Exception {
        Files.createDirectories(dir.resolve("slapd.d"));
        Files.createDirectories(dir.resolve("data"));
        Files.createDirectories(dir.resolve("run"));
        Path schema = PosternProcess.checkout().resolve("directory-schema/src/main/schema/postern.ldif");
        String config = Slapd.configLdif(dir, BASE, schema);
        Files.writeString(dir.resolve("slapd.ldif"), config);
        check(ExternalProcess.run(dir, Duration.ofSeconds(30), List.of("/usr/sbin/slapadd", "-n0", "-F",
                dir.resolve("slapd.d").toString(), "-l", dir.resolve("slapd.ldif").toString())));
        check(ExternalProcess.run(dir, Duration.ofSeconds(30), List.of("/usr/sbin/slapadd", "-q", "-n1", "-F",
                dir.resolve("slapd.d").toString(), "-l", data.toString())));
        CacheSlapd slapd = new CacheSlapd(dir, port);
        slapd.start();
        return slapd;
    }

    /** Starts (or starts again) the daemon in the foreground, ready when our own ldapi socket answers. */
    void start() throws Exception {
        String ldapi = "ldapi://" + URLEncoder.encode(dir.resolve("run/ldapi").toString(), StandardCharsets.UTF_8);
        process = ExternalProcess.start("slapd", dir, List.of("/usr/sbin/slapd", "-F", dir.resolve("slapd.d").toString(),
                "-h", url() + "/ " + ldapi, "-d", "stats"));
        process.awaitReady(Duration.ofSeconds(20), () -> {
            try {
                return ExternalProcess.run(dir, Duration.ofSeconds(5), List.of("ldapsearch", "-x", "-H", url(),
                        "-b", BASE, "-s", "base", "dn")).exitCode() == 0;
            } catch (Exception e) {
                return false;
            }
        });
    }

    String url() {
        return "ldap://127.0.0.1:" + port;
    }

    /** Applies LDIF with ldapmodify as the administrator; returns when ldapmodify has returned. */
    void modify(String ldif) throws Exception {
        check(ExternalProcess.run(dir, Duration.ofSeconds(10), ldif, List.of("ldapmodify", "-x", "-H", url(), "-D",
                ADMIN, "-w", PASSWORD)));
    }

    /** Searches slapd has logged so far (its "stats" log level: one SRCH line per search request). */
    long searches() throws IOException {
        return process.logText().lines().filter(line -> line.contains(" SRCH base=")).count();
    }

    boolean isAlive() {
        return process != null && process.isAlive();
    }

    void kill() throws InterruptedException {
        process.kill();
    }

    private static void check(ExternalProcess.Result result) {
        if (result.exitCode() != 0) {
            throw new IllegalStateException("exit " + result.exitCode() + ": " + result.output());
        }
    }

    @Override
    public void close() throws InterruptedException {
        if (process != null) {
            process.close();
        }
    }
}
