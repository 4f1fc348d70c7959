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
 * A private clamd (unix socket) and clamav-milter (TCP on 127.0.0.1). There is no network for
 * freshclam, so the signature database is one {@code .hdb} line written here: the MD5 and size
 * of the EICAR test string, named {@value #SIGNATURE}. Infected mail is rejected, clean mail
 * accepted, a clamd failure deferred.
 */
public final class ClamavMilter implements AutoCloseable {
    public static final String SIGNATURE = "Postern.Test.Eicar";
    /** The EICAR anti-virus test string (harmless by design). */
    public static final String EICAR = "X5O!P%@AP[4\\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*";

    private final ExternalProcess clamd;
    private final ExternalProcess milter;
    private final int port;

    private ClamavMilter(ExternalProcess clamd, ExternalProcess milter, int port) {
        this.clamd = clamd;
        this.milter = milter;
        this.port = port;
    }

    public int port() {
        return port;
    }

    public static ClamavMilter start(Path dir, int port) throws IOException, InterruptedException {
        Path db = Files.createDirectories(dir.resolve("db"));
        Files.writeString(db.resolve("postern-test.hdb"), "44d88612fea8a8f36de82e1278abb02f:68:" + SIGNATURE + "\n");
        Path socket = dir.resolve("clamd.sock");
        Files.writeString(dir.resolve("clamd.conf"), """
                Foreground yes
                LocalSocket %s
                DatabaseDirectory %s
                TemporaryDirectory %s
                PidFile %s
                """.formatted(socket, db, dir, dir.resolve("clamd.pid")));
        Files.writeString(dir.resolve("clamav-milter.conf"), """
                Foreground yes
                MilterSocket inet:%d@127.0.0.1
                ClamdSocket unix:%s
                PidFile %s
                OnInfected Reject
                OnClean Accept
                OnFail Defer
                AddHeader No
                LogVerbose yes
                LogFile %s
                """.formatted(port, socket, dir.resolve("milter.pid"), dir.resolve("clamav-milter-file.log")));
        ExternalProcess clamd = ExternalProcess.start("clamd", dir, Tethered.command(Duration.ofMinutes(10),
                List.of("clamd", "-c", dir.resolve("clamd.conf").toString())));
        ExternalProcess milter = null;
        try {
            clamd.awaitReady(Duration.ofSeconds(60), () -> Files.exists(socket));
            milter = ExternalProcess.start("clamav-milter", dir, Tethered.command(Duration.ofMinutes(10),
                    List.of("clamav-milter", "-c", dir.resolve("clamav-milter.conf").toString())));
            milter.awaitReady(Duration.ofSeconds(30), () -> Loopback.accepts("127.0.0.1", port));
            return new ClamavMilter(clamd, milter, port);
        } catch (RuntimeException | InterruptedException | IOException e) {
            if (milter != null) {
                milter.close();
            }
            clamd.close();
            throw e;
        }
    }

    @Override
    public void close() throws InterruptedException {
        milter.close();
        clamd.close();
    }
}
