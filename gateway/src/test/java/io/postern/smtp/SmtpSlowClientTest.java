package io.postern.smtp;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.postern.config.ConfigLoader;
import io.postern.config.PosternConfig;
import io.postern.config.SecretResolver;
import io.postern.sasl.LoginThrottle;
import io.postern.net.ConnectionLimits;
import io.postern.smtp.inbound.session.SmtpServices;
import io.postern.testing.LoopbackClientChannel;
import io.postern.testing.MapDirectory;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Clients that trickle: DATA and BDAT have a total and a minimum-rate deadline, and the idle
 * timer counts whole lines, not octets. Time is Netty's embedded clock, advanced by the test;
 * directory look-ups run inline, so nothing here waits on another thread.
 */
class SmtpSlowClientTest {
    @TempDir
    Path tmp;

    private FileSink sink;
    private LoopbackClientChannel channel;


    private LoopbackClientChannel open(String smtp) throws Exception {
        return open("mx", smtp, "");
    }

    private LoopbackClientChannel open(String kind, String smtp, String extra) throws Exception {
        PosternConfig config = new ConfigLoader(new SecretResolver(Map.of()))
                .parse(SmtpTestServer.yaml(kind, "none", "smtp: " + smtp + "\n" + extra), tmp, "test.yaml");
        sink = new FileSink(tmp.resolve("sink"));
        SmtpServices services = new SmtpServices(config.node().hostname(), config.smtp(), config.auth(),
                config.relay(), config.domains(), MapDirectory.fixture(), sink, Optional.empty(),
                new SimpleMeterRegistry(),
                new LoginThrottle(config.auth().throttle(), new SimpleMeterRegistry()),
                new ConnectionLimits(config.smtp().maxConnections(), config.smtp().maxConnectionsPerClient()),
                Runnable::run, Clock.systemUTC());
        channel = new LoopbackClientChannel();
        SmtpPipeline.configure(channel.pipeline(), config.listeners().getFirst(), services);
        channel.register();
        channel.freezeTime();
        assertThat(channel.output()).startsWith("220 mx.test ESMTP");
        return channel;
    }

    /** EHLO, MAIL, RCPT: ready for DATA or BDAT. */
    private static void envelope(LoopbackClientChannel c) {
        c.send("EHLO client.test\r\nMAIL FROM:<s@remote.test>\r\nRCPT TO:<alice@example.com>\r\n");
        assertThat(c.output()).contains("250 2.1.0 ").endsWith("250 2.1.5 Recipient ok\r\n");
    }

    /** Sends one octet of {@code text} every {@code every} until the server closes; the time it took. */
    private static Duration drip(LoopbackClientChannel c, String text, Duration every, StringBuilder said) {
        Duration elapsed = Duration.ZERO;
        for (char octet : text.toCharArray()) {
            if (!c.isOpen()) {
                break;
            }
            c.send(String.valueOf(octet));
            c.advance(every);
            elapsed = elapsed.plus(every);
            said.append(c.output());
        }
        return elapsed;
    }

    @AfterEach
    void close() {
        if (channel != null) {
            channel.finishAndReleaseAll();
        }
    }

    @Test
    void dataTricklingBelowTheMinimumRateGets451AndNothingIsQueued() throws Exception {
        LoopbackClientChannel c = open("{idleTimeout: 5m, dataTimeout: 60s, dataTotalTimeout: 1h, minDataRate: 500}");
        envelope(c);
        c.send("DATA\r\n");
        assertThat(c.output()).startsWith("354 ");
        StringBuilder said = new StringBuilder();
        Duration took = drip(c, "Subject: slow\r\n\r\n".repeat(20), Duration.ofSeconds(5), said);
        assertThat(said.toString()).isEqualTo("451 4.4.2 mx.test message data arrived too slowly, closing connection\r\n");
        assertThat(c.isOpen()).isFalse();
        assertThat(took).isBetween(Duration.ofSeconds(60), Duration.ofSeconds(65));
        assertThat(sink.stored()).isEmpty();
        assertThat(sink.pendingFiles()).isZero();
    }

    @Test
    void dataPhaseEndsAtTheTotalLimitEvenWithoutARateRule() throws Exception {
        LoopbackClientChannel c = open("{idleTimeout: 5m, dataTimeout: 60s, dataTotalTimeout: 2m, minDataRate: 0}");
        envelope(c);
        c.send("DATA\r\n");
        c.output();
        StringBuilder said = new StringBuilder();
        Duration took = drip(c, "x".repeat(1000), Duration.ofSeconds(5), said);
        assertThat(said.toString()).startsWith("451 4.4.2 ");
        assertThat(took).isBetween(Duration.ofSeconds(120), Duration.ofSeconds(125));
        assertThat(sink.stored()).isEmpty();
        assertThat(sink.pendingFiles()).isZero();
    }

    @Test
    void aSteadyUploadAboveTheRateOutlastsDataTimeout() throws Exception {
        LoopbackClientChannel c = open("{idleTimeout: 5m, dataTimeout: 60s, dataTotalTimeout: 1h, minDataRate: 500}");
        envelope(c);
        c.send("DATA\r\n");
        c.output();
        String line = "y".repeat(998) + "\r\n";
        for (int second = 0; second < 600; second++) {
            c.send(line);
            c.advance(Duration.ofSeconds(1));
        }
        assertThat(c.output()).isEmpty();
        assertThat(c.isOpen()).isTrue();
    }

    @Test
    void bdatChunkTricklingIsCutOffToo() throws Exception {
        LoopbackClientChannel c = open("{idleTimeout: 5m, dataTimeout: 60s, dataTotalTimeout: 1h, minDataRate: 500}");
        envelope(c);
        c.send("BDAT 200 LAST\r\n");
        StringBuilder said = new StringBuilder();
        Duration took = drip(c, "z".repeat(200), Duration.ofSeconds(5), said);
        assertThat(said.toString()).startsWith("451 4.4.2 ");
        assertThat(took).isBetween(Duration.ofSeconds(60), Duration.ofSeconds(65));
        assertThat(sink.stored()).isEmpty();
        assertThat(sink.pendingFiles()).isZero();
    }

    @Test
    void manySmallBdatChunksCountAsOnePhase() throws Exception {
        LoopbackClientChannel c = open("{idleTimeout: 5m, dataTimeout: 60s, dataTotalTimeout: 1h, minDataRate: 500}");
        envelope(c);
        StringBuilder said = new StringBuilder();
        Duration took = Duration.ZERO;
        while (c.isOpen() && took.compareTo(Duration.ofMinutes(10)) < 0) {
            c.send("BDAT 1\r\nz");
            c.advance(Duration.ofSeconds(5));
            took = took.plusSeconds(5);
            said.append(c.output());
        }
        assertThat(said.toString()).endsWith("451 4.4.2 mx.test message data arrived too slowly, closing connection\r\n");
        assertThat(took).isBetween(Duration.ofSeconds(60), Duration.ofSeconds(65));
        assertThat(sink.stored()).isEmpty();
        assertThat(sink.pendingFiles()).isZero();
    }

    @Test
    void aCommandTrickledByteByByteEndsAtTheIdleTimeout() throws Exception {
        LoopbackClientChannel c = open("{idleTimeout: 60s, commandTimeout: 10m}");
        StringBuilder said = new StringBuilder();
        Duration took = drip(c, "NOOP ".repeat(100), Duration.ofSeconds(5), said);
        assertThat(said.toString()).isEqualTo("421 4.4.2 mx.test timeout exceeded, closing connection\r\n");
        assertThat(took).isBetween(Duration.ofSeconds(60), Duration.ofSeconds(65));
    }

    @Test
    void anAuthResponseTrickledByteByByteEndsAtTheIdleTimeout() throws Exception {
        LoopbackClientChannel c = open("submission", "{idleTimeout: 60s, commandTimeout: 10m}", "auth: {allowPlaintext: true}\n");
        c.send("EHLO client.test\r\nAUTH LOGIN\r\n");
        assertThat(c.output()).contains("AUTH PLAIN LOGIN").endsWith("334 VXNlcm5hbWU6\r\n");
        StringBuilder said = new StringBuilder();
        Duration took = drip(c, "YWxpY2U".repeat(40), Duration.ofSeconds(5), said);
        assertThat(said.toString()).isEqualTo("421 4.4.2 mx.test timeout exceeded, closing connection\r\n");
        assertThat(took).isBetween(Duration.ofSeconds(60), Duration.ofSeconds(65));
    }

    @Test
    void aClientThatDoesNotReadItsRepliesStopsBeingReadAndIsCutOff() throws Exception {
        LoopbackClientChannel c = open("{idleTimeout: 60s}");
        // The peer's receive window is full: Netty marks the channel unwritable.
        c.unsafe().outboundBuffer().setUserDefinedWritability(1, false);
        c.send("NOOP\r\n".repeat(100));
        assertThat(c.output()).isEmpty();
        assertThat(c.config().isAutoRead()).isFalse();
        c.unsafe().outboundBuffer().setUserDefinedWritability(1, true);
        c.runPendingTasks();
        assertThat(c.output()).isEqualTo("250 2.0.0 Ok\r\n".repeat(100));
        assertThat(c.config().isAutoRead()).isTrue();

        c.unsafe().outboundBuffer().setUserDefinedWritability(1, false);
        c.send("NOOP\r\n");
        c.advance(Duration.ofSeconds(60));
        assertThat(c.isOpen()).as("closed although the timeout reply cannot be written").isFalse();
    }

    @Test
    void wholeCommandsKeepTheSessionAlive() throws Exception {
        LoopbackClientChannel c = open("{idleTimeout: 60s}");
        for (int i = 0; i < 10; i++) {
            c.advance(Duration.ofSeconds(50));
            c.send("NOOP\r\n");
            assertThat(c.output()).isEqualTo("250 2.0.0 Ok\r\n");
        }
        c.advance(Duration.ofSeconds(60));
        assertThat(c.output()).startsWith("421 4.4.2 ");
        assertThat(c.isOpen()).isFalse();
    }
}
