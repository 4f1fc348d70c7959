package io.postern.it.servers;

import io.postern.it.support.ExternalProcess;
import io.postern.it.support.Loopback;
import io.postern.it.support.Tethered;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A private OpenDKIM on 127.0.0.1 in sign-and-verify mode for {@code example.test}, selector
 * {@code test}, with a fresh 1024-bit key from {@code opendkim-genkey}. It signs mail from
 * authenticated clients (the {@code {auth_authen}} macro) and verifies the rest, reading the
 * public key from a test key file instead of DNS ({@code TestPublicKeys}); its verdict goes into
 * an {@code Authentication-Results} header for {@value #AUTHSERV_ID}.
 */
public final class OpenDkim implements AutoCloseable {
    public static final String AUTHSERV_ID = "verifier.example.test";

    private final ExternalProcess process;
    private final int port;

    private OpenDkim(ExternalProcess process, int port) {
        this.process = process;
        this.port = port;
    }

    public int port() {
        return port;
    }

    public static OpenDkim start(Path dir, int port) throws IOException, InterruptedException {
        Files.createDirectories(dir);
        ExternalProcess.Result key = ExternalProcess.run(dir, Duration.ofSeconds(60),
                List.of("opendkim-genkey", "-b", "1024", "-d", "example.test", "-s", "test", "-D", dir.toString()));
        if (key.exitCode() != 0) {
            throw new IllegalStateException("opendkim-genkey failed: " + key.output());
        }
        String record = Files.readString(dir.resolve("test.txt")).replaceAll("[\\s\"]", "");
        Matcher p = Pattern.compile("p=([A-Za-z0-9+/=]+)").matcher(record);
        if (!p.find()) {
            throw new IllegalStateException("no public key in " + record);
        }
        Files.writeString(dir.resolve("keys"), "test._domainkey.example.test v=DKIM1; k=rsa; p=" + p.group(1) + "\n");
        Files.writeString(dir.resolve("opendkim.conf"), """
                Background no
                Mode sv
                Domain example.test
                Selector test
                KeyFile %s
                Socket inet:%d@127.0.0.1
                Canonicalization relaxed/relaxed
                InternalHosts 127.0.0.2
                TestPublicKeys %s
                PidFile %s
                Syslog no
                RequireSafeKeys false
                AuthservID %s
                """.formatted(dir.resolve("test.private"), port, dir.resolve("keys"), dir.resolve("opendkim.pid"),
                AUTHSERV_ID));
        ExternalProcess process = ExternalProcess.start("opendkim", dir, Tethered.command(Duration.ofMinutes(10),
                List.of("opendkim", "-f", "-x", dir.resolve("opendkim.conf").toString())));
        try {
            process.awaitReady(Duration.ofSeconds(30), () -> Loopback.accepts("127.0.0.1", port));
        } catch (RuntimeException | InterruptedException | IOException e) {
            process.close();
            throw e;
        }
        return new OpenDkim(process, port);
    }

    @Override
    public void close() throws InterruptedException {
        process.close();
    }
}
