package io.postern.smtp;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.postern.config.CacheConfig;
import io.postern.config.ConfigLoader;
import io.postern.config.PosternConfig;
import io.postern.config.SecretResolver;
import io.postern.directory.cache.CachingDirectory;
import io.postern.mail.MessageSink;
import io.postern.net.ConnectionLimits;
import io.postern.sasl.LoginThrottle;
import io.postern.smtp.inbound.session.SmtpServices;
import io.postern.testing.AcceptingSink;
import io.postern.testing.LoopbackClientChannel;
import io.postern.testing.MapDirectory;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * RCPT answered on the event loop when the directory's answer is fresh in its cache, with no task
 * for the executor of off-loop work (one that refuses every task would make the session answer
 * {@code 421 4.3.2}); a recipient the cache does not hold still goes off the loop.
 */
class SmtpCachedAnswerTest {
    @TempDir
    Path tmp;

    private final CachingDirectory directory = CachingDirectory.wrap(MapDirectory.fixture(), CacheConfig.defaults(),
            new SimpleMeterRegistry());
    private final AtomicInteger offloaded = new AtomicInteger();
    private volatile boolean refusing;
    /** Runs off-loop work at once on the test thread (the loop's), counting it; refuses it like a stopping node when told. */
    private final Executor blocking = task -> {
        if (refusing) {
            throw new RejectedExecutionException("stopping");
        }
        offloaded.incrementAndGet();
        task.run();
    };
    private final MessageSink accepting = AcceptingSink.queuedAsQ1();
    private LoopbackClientChannel channel;

    @AfterEach
    void close() {
        if (channel != null) {
            channel.finishAndReleaseAll();
        }
        directory.close();
    }

    private LoopbackClientChannel open() throws Exception {
        return open("");
    }

    private LoopbackClientChannel open(String extra) throws Exception {
        PosternConfig config = new ConfigLoader(new SecretResolver(Map.of()))
                .parse(SmtpTestServer.yaml("mx", "none", extra), tmp, "test.yaml");
        SmtpServices services = new SmtpServices(config.node().hostname(), config.smtp(), config.auth(),
                config.relay(), config.domains(), directory, accepting, Optional.empty(), new SimpleMeterRegistry(),
                new LoginThrottle(config.auth().throttle(), new SimpleMeterRegistry()),
                new ConnectionLimits(config.smtp().maxConnections(), config.smtp().maxConnectionsPerClient()),
                blocking, Clock.systemUTC());
        channel = new LoopbackClientChannel();
        SmtpPipeline.configure(channel.pipeline(), config.listeners().getFirst(), services);
        channel.register();
        assertThat(channel.output()).startsWith("220 ");
        channel.send("EHLO client.test\r\nMAIL FROM:<s@remote.test>\r\n");
        assertThat(channel.output()).contains("250 2.1.0 ");
        return channel;
    }

    @Test
    void aRecipientWhoseAnswerIsCachedIsAnsweredWithoutLeavingTheLoop() throws Exception {
        LoopbackClientChannel c = open();
        c.send("RCPT TO:<alice@example.com>\r\n");
        assertThat(c.output()).startsWith("250 2.1.5 ");
        assertThat(offloaded).as("the first answer comes from the directory, off the loop").hasValue(1);

        refusing = true;
        c.send("RCPT TO:<alice@example.com>\r\nRCPT TO:<Alice@example.com>\r\n");

        assertThat(c.output()).isEqualTo("250 2.1.5 Recipient ok\r\n250 2.1.5 Recipient ok\r\n");
        assertThat(offloaded).hasValue(1);
        c.send("DATA\r\nSubject: t\r\n\r\nbody\r\n.\r\n");
        assertThat(c.output()).startsWith("354 ").contains("\r\n250 2.0.0 ");
        assertThat(c.isOpen()).isTrue();
    }

    @Test
    void aCachedUnknownRecipientIsRefusedOnTheLoop() throws Exception {
        LoopbackClientChannel c = open();
        c.send("RCPT TO:<nobody@example.com>\r\n");
        String first = c.output();
        assertThat(first).startsWith("550 5.1.1 ");

        refusing = true;
        c.send("RCPT TO:<nobody@example.com>\r\n");

        assertThat(c.output()).isEqualTo(first);
        assertThat(offloaded).hasValue(1);
    }

    @Test
    void aRecipientTheCacheDoesNotHoldStillGoesOffTheLoop() throws Exception {
        LoopbackClientChannel c = open();
        c.send("RCPT TO:<alice@example.com>\r\n");
        assertThat(c.output()).startsWith("250 2.1.5 ");

        c.send("RCPT TO:<bob@example.com>\r\n");
        assertThat(c.output()).startsWith("250 2.1.5 ");
        assertThat(offloaded).hasValue(2);

        refusing = true;
        c.send("RCPT TO:<postmaster@example.com>\r\n");
        assertThat(c.output()).as("the off-loop policy: a refused executor ends the session").startsWith("421 4.3.2 ");
        assertThat(c.isOpen()).isFalse();
    }

    @Test
    void aSenderWhoseDomainIsCachedIsDecidedWithoutLeavingTheLoop() throws Exception {
        LoopbackClientChannel c = open("smtp: {rejectUnauthenticatedLocalSender: true}\n");
        assertThat(offloaded).as("is remote.test local? asked of the directory, off the loop").hasValue(1);

        refusing = true;
        c.send("RSET\r\nMAIL FROM:<other@remote.test>\r\nRSET\r\nMAIL FROM:<alice@example.com>\r\n");

        assertThat(c.output()).startsWith("250 2.0.0 ").contains("\r\n250 2.1.0 ").contains("\r\n553 5.7.1 ");
        assertThat(offloaded).hasValue(1);
        assertThat(c.isOpen()).isTrue();
    }
}
