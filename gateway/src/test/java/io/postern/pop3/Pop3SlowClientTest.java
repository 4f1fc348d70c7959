package io.postern.pop3;

import io.postern.testing.LoopbackClientChannel;
import io.postern.testing.MapDirectory;
import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.postern.config.ListenerConfig;
import io.postern.config.ListenerKind;
import io.postern.config.Pop3Config;
import io.postern.config.SpoolFormat;
import io.postern.config.TlsMode;
import io.postern.mailbox.MailboxStore;
import io.postern.mailbox.SpoolLayout;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Clients that trickle: the idle timer counts whole lines, not octets, and AUTHORIZATION has its
 * own deadline. Time is Netty's embedded clock, advanced by the test: nothing here waits.
 */
class Pop3SlowClientTest {
    @TempDir
    Path dir;

    private Pop3Services services;
    private LoopbackClientChannel channel;


    private LoopbackClientChannel open(Pop3Config config) throws Exception {
        MailboxStore store = new MailboxStore(new SpoolLayout(dir, "{domain}/{localpart}"), SpoolFormat.MAILDIR,
                "node-a", config.lockLease(), Clock.systemUTC());
        MapDirectory directory = new MapDirectory()
                .add("alice@example.test", "alice-pw", false, Optional.empty(), "alice");
        services = new Pop3Services("mail.example.test", config, Pop3Fixture.loopbackPlaintext(), directory, store,
                Optional.empty(), new SimpleMeterRegistry());
        channel = new LoopbackClientChannel();
        Pop3Pipeline.configure(channel.pipeline(),
                new ListenerConfig("pop3", ListenerKind.POP3, "127.0.0.1", 110, TlsMode.NONE), services);
        channel.register();
        channel.freezeTime();
        assertThat(channel.output()).isEqualTo("+OK Postern POP3 server ready\r\n");
        return channel;
    }

    private static Pop3Config config(Duration idle, Duration authorization) {
        Pop3Config d = Pop3Config.defaults();
        return new Pop3Config(idle, d.maxConnections(), d.maxConnectionsPerClient(), d.lockLease(),
                d.maxLineLength(), d.maxBadCommands(), d.maxPipelinedCommands(), d.maxCommandLine(), authorization);
    }

    @AfterEach
    void close() {
        if (channel != null) {
            channel.finishAndReleaseAll();
        }
        if (services != null) {
            services.close();
        }
    }

    @Test
    void aByteEveryFewSecondsDoesNotOutliveTheIdleTimeout() throws Exception {
        LoopbackClientChannel c = open(config(Duration.ofSeconds(10), Duration.ofMinutes(10)));
        Duration elapsed = Duration.ZERO;
        StringBuilder said = new StringBuilder();
        for (char octet : "USER alice-with-a-long-name-sent-slowly".toCharArray()) {
            if (!c.isOpen()) {
                break;
            }
            c.send(String.valueOf(octet));
            c.advance(Duration.ofSeconds(3));
            elapsed = elapsed.plusSeconds(3);
            said.append(c.output());
        }
        assertThat(said.toString()).isEqualTo("-ERR Idle timeout, closing (nothing deleted)\r\n");
        assertThat(c.isOpen()).isFalse();
        assertThat(elapsed).isLessThanOrEqualTo(Duration.ofSeconds(12));
    }

    @Test
    void wholeCommandsKeepTheSessionAliveAndAnOverlongOneDoesNotEndIt() throws Exception {
        LoopbackClientChannel c = open(config(Duration.ofSeconds(10), Duration.ofMinutes(10)));
        for (int i = 0; i < 5; i++) {
            c.advance(Duration.ofSeconds(8));
            c.send("CAPA\r\n");
            assertThat(c.output()).startsWith("+OK Capability list follows");
        }
        c.advance(Duration.ofSeconds(8));
        c.send("USER " + "x".repeat(2000) + "\r\n");
        assertThat(c.output()).isEqualTo("-ERR Line too long\r\n");
        c.send("USER alice\r\n");
        assertThat(c.output()).isEqualTo("+OK Send your password\r\n");
        assertThat(c.isOpen()).isTrue();
        c.advance(Duration.ofSeconds(10));
        assertThat(c.output()).isEqualTo("-ERR Idle timeout, closing (nothing deleted)\r\n");
        assertThat(c.isOpen()).isFalse();
    }

    @Test
    void aClientThatDoesNotReadItsRepliesStopsBeingReadAndIsCutOff() throws Exception {
        LoopbackClientChannel c = open(config(Duration.ofSeconds(10), Duration.ofMinutes(10)));
        // The peer's receive window is full: Netty marks the channel unwritable.
        c.unsafe().outboundBuffer().setUserDefinedWritability(1, false);
        c.send("CAPA\r\n".repeat(50));
        assertThat(c.output()).isEmpty();
        assertThat(c.config().isAutoRead()).isFalse();
        c.unsafe().outboundBuffer().setUserDefinedWritability(1, true);
        c.runPendingTasks();
        String replies = c.output();
        assertThat(replies.split("\\+OK Capability list follows", -1)).hasSize(51);
        assertThat(c.config().isAutoRead()).isTrue();

        c.unsafe().outboundBuffer().setUserDefinedWritability(1, false);
        c.send("CAPA\r\n");
        c.advance(Duration.ofSeconds(10));
        assertThat(c.isOpen()).as("closed although the timeout reply cannot be written").isFalse();
    }

    @Test
    void authorizationHasItsOwnDeadlineHoweverActiveTheClient() throws Exception {
        LoopbackClientChannel c = open(config(Duration.ofMinutes(10), Duration.ofSeconds(60)));
        Duration elapsed = Duration.ZERO;
        StringBuilder said = new StringBuilder();
        while (c.isOpen() && elapsed.compareTo(Duration.ofMinutes(5)) < 0) {
            c.send("USER alice\r\n");
            said.append(c.output());
            c.advance(Duration.ofSeconds(20));
            elapsed = elapsed.plusSeconds(20);
        }
        said.append(c.output());
        assertThat(said.toString()).endsWith("+OK Send your password\r\n-ERR Login not completed in time, closing\r\n");
        assertThat(c.isOpen()).isFalse();
        assertThat(elapsed).isEqualTo(Duration.ofSeconds(60));
    }

    @Test
    void theAuthorizationDeadlineAlsoEndsASaslExchangeLeftOpen() throws Exception {
        LoopbackClientChannel c = open(config(Duration.ofMinutes(10), Duration.ofSeconds(60)));
        c.send("AUTH LOGIN\r\n");
        assertThat(c.output()).startsWith("+ ");
        c.advance(Duration.ofSeconds(59));
        assertThat(c.isOpen()).isTrue();
        c.advance(Duration.ofSeconds(1));
        assertThat(c.output()).isEqualTo("-ERR Login not completed in time, closing\r\n");
        assertThat(c.isOpen()).isFalse();
    }
}
