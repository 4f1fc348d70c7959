package io.postern.smtp;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.postern.config.ConfigLoader;
import io.postern.config.PosternConfig;
import io.postern.config.SecretResolver;
import io.postern.mail.MessageSink;
import io.postern.net.ConnectionLimits;
import io.postern.sasl.LoginThrottle;
import io.postern.smtp.inbound.session.SmtpServices;
import io.postern.testing.AcceptingSink;
import io.postern.testing.LoopbackClientChannel;
import io.postern.testing.MapDirectory;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The SMTP meters count what sessions say and answer, and a listener's counters are resolved in
 * the registry once, not for every session, command or reply (issue 15: the look-ups cost about
 * 1 % of the node's CPU under load).
 */
class SmtpMetersTest {
    @TempDir
    Path tmp;

    private final LookupCountingRegistry registry = new LookupCountingRegistry();
    private final List<LoopbackClientChannel> channels = new ArrayList<>();
    private PosternConfig config;
    private SmtpServices services;

    /** Counts the look-ups of SMTP counters by name and tags (every {@code counter(...)} overload ends here). */
    private static final class LookupCountingRegistry extends SimpleMeterRegistry {
        int lookups;

        @Override
        public Counter counter(String name, Tags tags) {
            if (name.startsWith("postern.smtp.")) {
                lookups++;
            }
            return super.counter(name, tags);
        }
    }

    private final MessageSink sink = AcceptingSink.queuedAsQ1();

    @BeforeEach
    void services() throws Exception {
        config = new ConfigLoader(new SecretResolver(Map.of())).parse(SmtpTestServer.yaml("mx", "none", ""), tmp,
                "test.yaml");
        services = new SmtpServices(config.node().hostname(), config.smtp(), config.auth(), config.relay(),
                config.domains(), MapDirectory.fixture(), sink, Optional.empty(), registry,
                new LoginThrottle(config.auth().throttle(), new SimpleMeterRegistry()),
                new ConnectionLimits(config.smtp().maxConnections(), config.smtp().maxConnectionsPerClient()),
                Runnable::run, Clock.systemUTC());
    }

    @AfterEach
    void close() {
        channels.forEach(LoopbackClientChannel::finishAndReleaseAll);
    }

    private LoopbackClientChannel open() throws Exception {
        LoopbackClientChannel channel = new LoopbackClientChannel();
        SmtpPipeline.configure(channel.pipeline(), config.listeners().getFirst(), services);
        channel.register();
        channels.add(channel);
        assertThat(channel.output()).startsWith("220 ");
        return channel;
    }

    private static void exchange(LoopbackClientChannel channel, String command, String expected) {
        channel.send(command + "\r\n");
        assertThat(channel.output()).as(command).startsWith(expected);
    }

    /** One message, one unknown command, one unknown user, one relay attempt. */
    private void dialogue() throws Exception {
        LoopbackClientChannel channel = open();
        exchange(channel, "EHLO client.test", "250-");
        exchange(channel, "FOO bar", "500 5.5.1");
        exchange(channel, "MAIL FROM:<sender@other.test>", "250 ");
        exchange(channel, "RCPT TO:<nobody@example.com>", "550 5.1.1");
        exchange(channel, "RCPT TO:<someone@elsewhere.test>", "554 5.7.1");
        exchange(channel, "RCPT TO:<alice@example.com>", "250 ");
        exchange(channel, "DATA", "354 ");
        exchange(channel, "Subject: hi\r\n\r\nbody\r\n.", "250 2.0.0 ");
        exchange(channel, "QUIT", "221 ");
        channel.runPendingTasks();
        assertThat(channel.isOpen()).isFalse();
    }

    private double count(String name, String... tags) {
        Counter counter = registry.find(name).tag("listener", "mx").tags(tags).counter();
        assertThat(counter).as(name + " " + String.join("=", tags)).isNotNull();
        return counter.count();
    }

    private void assertCounts(int sessions) {
        assertThat(count("postern.smtp.sessions")).isEqualTo(sessions);
        assertThat(count("postern.smtp.commands", "command", "EHLO")).isEqualTo(sessions);
        assertThat(count("postern.smtp.commands", "command", "RCPT")).isEqualTo(3 * sessions);
        assertThat(count("postern.smtp.commands", "command", "unknown")).isEqualTo(sessions);
        assertThat(count("postern.smtp.commands", "command", "QUIT")).isEqualTo(sessions);
        // MAIL, RCPT alice, end of data (EHLO is one multi-line reply).
        assertThat(count("postern.smtp.replies", "code", "250")).isEqualTo(4 * sessions);
        assertThat(count("postern.smtp.replies", "code", "220")).isEqualTo(sessions);
        assertThat(count("postern.smtp.replies", "code", "500")).isEqualTo(sessions);
        assertThat(count("postern.smtp.replies", "code", "550")).isEqualTo(sessions);
        assertThat(count("postern.smtp.replies", "code", "554")).isEqualTo(sessions);
        assertThat(count("postern.smtp.replies", "code", "221")).isEqualTo(sessions);
        assertThat(count("postern.smtp.replies.errors")).isEqualTo(3 * sessions);
        assertThat(count("postern.smtp.messages.accepted")).isEqualTo(sessions);
        assertThat(count("postern.smtp.messages.rejected", "reason", "unknown-user")).isEqualTo(sessions);
        assertThat(count("postern.smtp.messages.rejected", "reason", "relay-denied")).isEqualTo(sessions);
        assertThat(count("postern.smtp.messages.rejected", "reason", "quota")).as("registered at zero").isZero();
        assertThat(registry.find("postern.smtp.messages.rejected").tag("reason", "protocol").counter())
                .as("protocol errors are not message rejections").isNull();
        assertThat(registry.find("postern.smtp.commands").tag("command", "VRFY").counter())
                .as("a command series appears when it first counts").isNull();
    }

    @Test
    void sessionsCountOnTheListenersCountersWithoutLookingThemUpAgain() throws Exception {
        dialogue();
        assertCounts(1);
        int afterFirst = registry.lookups;

        dialogue();
        dialogue();
        assertCounts(3);
        assertThat(registry.lookups).as("registry look-ups by later sessions of the same listener")
                .isEqualTo(afterFirst);
    }

    @Test
    void aListenersRejectionCountersReadZeroOnceRegistered() {
        services.meters().register("mx");
        assertThat(count("postern.smtp.messages.rejected", "reason", "unknown-user")).isZero();
        assertThat(count("postern.smtp.messages.rejected", "reason", "tempfail")).isZero();
        assertThat(count("postern.smtp.sessions")).isZero();
    }
}
