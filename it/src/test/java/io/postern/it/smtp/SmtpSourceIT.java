package io.postern.it.smtp;

import static org.assertj.core.api.Assertions.assertThat;

import io.postern.it.support.ExternalProcess;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Postfix's smtp-source as a load generator against the MX listener: every message must be
 * accepted. Prints the accept rate (front end only: this test's sink does not fsync).
 */
class SmtpSourceIT {
    @TempDir
    Path dir;

    @Test
    void acceptsEveryMessageFromParallelSessions() throws Exception {
        int messages = 2000;
        // smtp-source opens the next session as soon as one ends; the server may not have counted
        // the old one out yet, so the default per-client limit (20) would refuse some.
        try (SmtpItNode node = new SmtpItNode(dir.resolve("node"), "smtp: {maxConnectionsPerClient: 100}\n")) {
            long start = System.nanoTime();
            ExternalProcess.Result r = ExternalProcess.run(dir, Duration.ofSeconds(120), List.of("smtp-source",
                    "-s", "20", "-m", String.valueOf(messages), "-l", "2048", "-f", "load@remote.test",
                    "-t", "alice@example.com", "-M", "load.test", "127.0.0.1:" + node.mxPort));
            long millis = Duration.ofNanos(System.nanoTime() - start).toMillis();
            assertThat(r.exitCode()).as(r.output()).isZero();
            assertThat(node.accepted()).hasSize(messages);
            System.out.printf("smtp-source: %d messages of 2 KiB over 20 sessions in %d ms (%.0f msg/s)%n",
                    messages, millis, messages * 1000.0 / millis);
        }
    }
}
