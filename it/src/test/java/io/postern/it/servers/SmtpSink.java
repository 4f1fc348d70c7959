package io.postern.it.servers;

import io.postern.it.support.ExternalProcess;
import io.postern.it.support.Loopback;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * Postfix's smtp-sink (/usr/sbin/smtp-sink) as a real remote MX or LMTP server on a loopback
 * address: it writes every accepted transaction (envelope as X-Mail-Args/X-Rcpt-Args headers,
 * then the content) to a file, and can refuse chosen commands with a 4xx or 5xx reply of our
 * choosing. Runs as nobody (it refuses to run as root).
 */
public final class SmtpSink implements AutoCloseable {
    private final ExternalProcess process;
    private final Path dumps;
    private final String host;
    private final int port;

    private SmtpSink(ExternalProcess process, Path dumps, String host, int port) {
        this.process = process;
        this.dumps = dumps;
        this.host = host;
        this.port = port;
    }

    /**
     * Starts on {@code host:port}. {@code options} are smtp-sink's own, e.g. {@code -L} (LMTP),
     * {@code -r RCPT -b "451 4.7.1 later"} (soft reject), {@code -f RCPT -B "550 5.1.1 no"}.
     */
    public static SmtpSink start(Path dir, String name, String host, int port, String... options)
            throws IOException, InterruptedException {
        Path work = dir.resolve(name);
        Path dumps = work.resolve("dumps");
        Files.createDirectories(dumps);
        // smtp-sink writes as nobody: the path down to the dump folder must be open to it.
        for (Path p = dumps; p != null && p.startsWith(dir); p = p.getParent()) {
            Files.setPosixFilePermissions(p, PosixFilePermissions.fromString(p.equals(dumps) ? "rwxrwxrwx" : "rwxr-xr-x"));
        }
        List<String> command = new ArrayList<>(List.of("/usr/sbin/smtp-sink", "-u", "nobody", "-h", name,
                "-d", dumps.resolve("msg.").toString()));
        command.addAll(List.of(options));
        command.addAll(List.of(host + ":" + port, "20"));
        ExternalProcess process = ExternalProcess.start(name, work, command);
        process.awaitReady(Duration.ofSeconds(10), () -> Loopback.accepts(host, port));
        return new SmtpSink(process, dumps, host, port);
    }

    public String host() {
        return host;
    }

    public int port() {
        return port;
    }

    /** Every transaction received so far, as text (envelope headers first). */
    public List<String> messages() {
        try (Stream<Path> files = Files.list(dumps)) {
            return files.sorted().map(f -> {
                try {
                    return Files.readString(f, StandardCharsets.ISO_8859_1);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            }).toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Waits (bounded) until a message whose text contains every one of {@code markers} has been written. */
    public String awaitMessage(Duration timeout, String... markers) throws InterruptedException {
        long deadline = System.nanoTime() + io.postern.testing.Await.atLeast(timeout).toNanos();
        while (System.nanoTime() < deadline) {
            for (String m : messages()) {
                if (java.util.Arrays.stream(markers).allMatch(m::contains)) {
                    return m;
                }
            }
            Thread.sleep(25);
        }
        throw new AssertionError("no message containing " + java.util.Arrays.toString(markers) + " at " + host + ":"
                + port + " within " + timeout + "; got " + messages().size() + " messages");
    }

    public void stop() throws InterruptedException {
        process.close();
    }

    @Override
    public void close() throws InterruptedException {
        process.close();
    }
}
