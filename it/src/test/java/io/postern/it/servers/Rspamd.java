package io.postern.it.servers;

import io.postern.it.support.ExternalProcess;
import io.postern.it.support.Loopback;
import io.postern.it.support.Tethered;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * A private rspamd with only its proxy worker, in milter mode with self-scan, on 127.0.0.1.
 * Start-up is made fast and offline: a four-entry TLD list instead of the public suffix list
 * (compiling that takes minutes on a busy machine), no hyperscan, DNS pointed at a closed port,
 * GTUBE test patterns on, score thresholds out of reach of clean test mail. Rejects are {@code 554 5.7.1 Spam message rejected}; the add-header
 * action adds {@code X-Spam: Yes}.
 */
public final class Rspamd implements AutoCloseable {
    private final ExternalProcess process;
    private final int port;

    private Rspamd(ExternalProcess process, int port) {
        this.process = process;
        this.port = port;
    }

    public int port() {
        return port;
    }

    public static Rspamd start(Path dir, int port) throws IOException, InterruptedException {
        Path local = Files.createDirectories(dir.resolve("local.d"));
        Path override = Files.createDirectories(dir.resolve("override.d"));
        Path db = Files.createDirectories(dir.resolve("db"));
        Path run = Files.createDirectories(dir.resolve("run"));
        Files.writeString(dir.resolve("tld.dat"), "test\ncom\norg\nnet\n");
        Files.writeString(local.resolve("options.inc"), """
                enable_test_patterns = true;
                url_tld = "%s";
                disable_hyperscan = true;
                dns { nameserver = ["127.0.0.1:1"]; timeout = 0.1s; retransmits = 0; }
                """.formatted(dir.resolve("tld.dat")));
        // Thresholds far above what a clean test message scores (about 6 with DNS off and no
        // reverse name: HFILTER_HOSTNAME_UNKNOWN and DNS-timeout symbols), so only the GTUBE
        // patterns, which force their action, reject or tag: the tests do not depend on the load.
        Files.writeString(local.resolve("actions.conf"), """
                reject = 150;
                add_header = 100;
                rewrite_subject = 120;
                greylist = 90;
                """);
        Files.writeString(override.resolve("worker-proxy.inc"), """
                bind_socket = "127.0.0.1:%d";
                milter = yes;
                count = 1;
                upstream "local" { default = yes; self_scan = yes; }
                """.formatted(port));
        for (String worker : List.of("normal", "controller", "fuzzy")) {
            Files.writeString(override.resolve("worker-" + worker + ".inc"), "enabled = false;\n");
        }
        Files.writeString(override.resolve("logging.inc"), "type = \"console\";\nlevel = \"info\";\n");
        ExternalProcess process = ExternalProcess.start("rspamd", dir, Tethered.command(Duration.ofMinutes(10),
                List.of("rspamd", "-f", "-u", "root", "-g", "root", "-c", "/etc/rspamd/rspamd.conf",
                        "--var=LOCAL_CONFDIR=" + dir, "--var=DBDIR=" + db, "--var=RUNDIR=" + run, "--var=LOGDIR=" + dir)));
        try {
            process.awaitReady(Duration.ofSeconds(60), () -> Loopback.accepts("127.0.0.1", port));
        } catch (RuntimeException | InterruptedException | IOException e) {
            process.close();
            throw e;
        }
        return new Rspamd(process, port);
    }

    @Override
    public void close() throws InterruptedException {
        process.close();
    }
}
