package io.postern.smtp;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.postern.config.ConfigLoader;
import io.postern.config.PosternConfig;
import io.postern.config.SecretResolver;
import io.postern.mail.Acceptance;
import io.postern.mail.IncomingMessage;
import io.postern.mail.MessageSink;
import io.postern.net.ConnectionLimits;
import io.postern.sasl.LoginThrottle;
import io.postern.smtp.inbound.session.SmtpServices;
import io.postern.testing.LoopbackClientChannel;
import io.postern.testing.MapDirectory;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Input that arrives while the session is suspended (the commit of a message runs off the loop)
 * is answered once the session resumes, also when no further byte arrives. The commit is a future
 * the test completes; the embedded channel's loop is the test thread, so nothing races.
 */
class SmtpSuspendResumeTest {
    @TempDir
    Path tmp;

    private final List<CompletableFuture<Acceptance>> commits = new ArrayList<>();
    private LoopbackClientChannel channel;

    private final MessageSink held = envelope -> new IncomingMessage() {
        @Override
        public void write(byte[] bytes, int offset, int length) {
        }

        @Override
        public CompletableFuture<Acceptance> commit() {
            CompletableFuture<Acceptance> commit = new CompletableFuture<>();
            commits.add(commit);
            return commit;
        }

        @Override
        public void abort() {
        }
    };

    private LoopbackClientChannel open() throws Exception {
        return open("");
    }

    private LoopbackClientChannel open(String extra) throws Exception {
        PosternConfig config = new ConfigLoader(new SecretResolver(Map.of()))
                .parse(SmtpTestServer.yaml("mx", "none", extra), tmp, "test.yaml");
        SmtpServices services = new SmtpServices(config.node().hostname(), config.smtp(), config.auth(),
                config.relay(), config.domains(), MapDirectory.fixture(), held, Optional.empty(),
                new SimpleMeterRegistry(),
                new LoginThrottle(config.auth().throttle(), new SimpleMeterRegistry()),
                new ConnectionLimits(config.smtp().maxConnections(), config.smtp().maxConnectionsPerClient()),
                Runnable::run, Clock.systemUTC());
        channel = new LoopbackClientChannel();
        SmtpPipeline.configure(channel.pipeline(), config.listeners().getFirst(), services);
        channel.register();
        channel.freezeTime();
        assertThat(channel.output()).startsWith("220 ");
        channel.send("EHLO client.test\r\nMAIL FROM:<s@remote.test>\r\nRCPT TO:<alice@example.com>\r\nDATA\r\n");
        assertThat(channel.output()).endsWith("354 End data with <CR><LF>.<CR><LF>\r\n");
        return channel;
    }

    @AfterEach
    void close() {
        if (channel != null) {
            channel.finishAndReleaseAll();
        }
    }

    private void commitDone() {
        assertThat(commits).hasSize(1);
        commits.getFirst().complete(new Acceptance("Q1", List.of(Acceptance.QUEUED)));
        channel.runPendingTasks();
    }

    @Test
    void quitPipelinedBehindTheDotIsAnsweredAfterTheCommit() throws Exception {
        LoopbackClientChannel c = open();
        c.send("Subject: x\r\n\r\nbody\r\n.\r\nQUIT\r\n");
        assertThat(c.output()).isEmpty();

        commitDone();

        assertThat(c.output()).startsWith("250 2.0.0 ").contains("\r\n221 2.0.0 ");
        assertThat(c.isOpen()).isFalse();
    }

    @Test
    void quitArrivingWhileTheCommitRunsIsAnsweredAfterIt() throws Exception {
        LoopbackClientChannel c = open();
        c.send("Subject: x\r\n\r\nbody\r\n.\r\n");
        c.send("QUIT\r\n");
        assertThat(c.output()).isEmpty();

        commitDone();

        assertThat(c.output()).startsWith("250 2.0.0 ").contains("\r\n221 2.0.0 ");
        assertThat(c.isOpen()).isFalse();
    }

    @Test
    void aLineThatWaitedBehindTheCommitGetsItsFullCommandTimeoutAfterIt() throws Exception {
        LoopbackClientChannel c = open("smtp: {commandTimeout: 30s, idleTimeout: 5m}\n");
        c.send("Subject: x\r\n\r\nbody\r\n.\r\nNO");
        c.advance(Duration.ofSeconds(60));
        commitDone();
        assertThat(c.output()).startsWith("250 2.0.0 ");

        c.advance(Duration.ofSeconds(20));
        assertThat(c.output()).isEmpty();
        assertThat(c.isOpen()).isTrue();
        c.send("OP\r\n");
        assertThat(c.output()).startsWith("250 2.0.0 ");
        c.advance(Duration.ofSeconds(31));
        c.send("QU");
        c.advance(Duration.ofSeconds(31));
        assertThat(c.output()).startsWith("421 4.4.2 ");
    }

    @Test
    void quitSplitAcrossTheSuspensionIsAnsweredAfterIt() throws Exception {
        LoopbackClientChannel c = open();
        c.send("Subject: x\r\n\r\nbody\r\n.\r\nQU");
        c.send("IT\r\n");
        commitDone();

        assertThat(c.output()).startsWith("250 2.0.0 ").contains("\r\n221 2.0.0 ");
        assertThat(c.isOpen()).isFalse();
    }
}
