package io.postern.it.outbound;

import static io.postern.it.outbound.OutboundMessages.message;
import static io.postern.it.outbound.OutboundMessages.rcpt;
import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.postern.config.OutboundConfig;
import io.postern.it.servers.DovecotLmtp;
import io.postern.it.servers.SmtpSink;
import io.postern.it.support.Ports;
import io.postern.mail.DeliveryResult;
import io.postern.mail.QueuedMessage;
import io.postern.mail.RecipientOutcome;
import io.postern.outbound.LmtpHandoff;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The front role's LMTP hand-off to delivery workers, against Dovecot's LMTP and smtp-sink in LMTP mode (-L). */
class LmtpHandoffIT {
    @TempDir
    Path dir;

    private static OutboundConfig config(List<OutboundConfig.HostPort> targets) {
        OutboundConfig d = OutboundConfig.defaults();
        OutboundConfig.Timeouts t = new OutboundConfig.Timeouts(Duration.ofSeconds(3), Duration.ofSeconds(5),
                Duration.ofSeconds(5), Duration.ofSeconds(5), Duration.ofSeconds(5), Duration.ofSeconds(5),
                Duration.ofSeconds(5), Duration.ofSeconds(10));
        return new OutboundConfig(d.port(), List.of(), d.dnsTimeout(), t, d.tls(), d.relayHost(), d.connections(),
                d.maxRecipientsPerTransaction(), d.maxReplyLineLength(), d.maxReplyLines(), targets);
    }

    @Test
    void failsOverToTheSecondTargetWhenTheFirstIsDown() throws Exception {
        int port = Ports.free();
        int deadPort = Ports.free();
        try (SmtpSink worker = SmtpSink.start(dir, "worker", "127.0.0.8", port, "-L");
             LmtpHandoff handoff = LmtpHandoff.create(config(List.of(new OutboundConfig.HostPort("127.0.0.1", deadPort),
                     new OutboundConfig.HostPort("127.0.0.8", port))), "front.test", new SimpleMeterRegistry())) {
            QueuedMessage m = message(dir, "lmtp-1", List.of(rcpt("alice@local.test"), rcpt("bob@local.test")));
            List<DeliveryResult> results = handoff.deliver(m, m.envelope().recipients()).get(30, TimeUnit.SECONDS);
            assertThat(results).hasSize(2).allSatisfy(r -> {
                assertThat(r.outcome()).isInstanceOf(RecipientOutcome.Succeeded.class);
                assertThat(r.remoteMta().orElseThrow()).contains("127.0.0.8]:" + port);
            });
            String received = worker.awaitMessage(Duration.ofSeconds(5), "lmtp-1");
            assertThat(received).contains("X-Client-Proto: LMTP", "X-Helo-Args: front.test",
                    "X-Rcpt-Args: <alice@local.test>", "X-Rcpt-Args: <bob@local.test>");
        }
    }

    @Test
    void perRecipientRepliesAfterDataBecomeResults() throws Exception {
        int port = Ports.free();
        try (SmtpSink worker = SmtpSink.start(dir, "full", "127.0.0.9", port, "-L", "-r", ".",
                "-b", "452 4.2.2 Mailbox full");
             LmtpHandoff handoff = LmtpHandoff.create(config(List.of(new OutboundConfig.HostPort("127.0.0.9", port))),
                     "front.test", new SimpleMeterRegistry())) {
            QueuedMessage m = message(dir, "lmtp-2", List.of(rcpt("carol@local.test"), rcpt("dave@local.test")));
            List<DeliveryResult> results = handoff.deliver(m, m.envelope().recipients()).get(30, TimeUnit.SECONDS);
            assertThat(results).hasSize(2).allSatisfy(r -> {
                assertThat(r.outcome()).isInstanceOf(RecipientOutcome.Deferred.class);
                assertThat(r.status()).hasToString("4.2.2");
                assertThat(r.diagnostic()).isEqualTo("452 4.2.2 Mailbox full");
            });
        }
    }

    @Test
    void everyTargetDownDefersWithTheConnectionProblem() throws Exception {
        try (LmtpHandoff handoff = LmtpHandoff.create(config(List.of(new OutboundConfig.HostPort("127.0.0.1", Ports.free()))),
                "front.test", new SimpleMeterRegistry())) {
            QueuedMessage m = message(dir, "lmtp-3", List.of(rcpt("erin@local.test")));
            List<DeliveryResult> results = handoff.deliver(m, m.envelope().recipients()).get(30, TimeUnit.SECONDS);
            assertThat(results).singleElement().satisfies(r -> {
                assertThat(r.outcome()).isInstanceOf(RecipientOutcome.Deferred.class);
                assertThat(r.status()).hasToString("4.4.1");
                assertThat(r.diagnostic()).contains("connect to", "failed");
            });
        }
    }

    @Test
    void dovecotLmtpAnswersPerRecipientAndTheMessageLandsInTheMaildir() throws Exception {
        int port = Ports.free();
        try (DovecotLmtp dovecot = DovecotLmtp.start(dir.resolve("dovecot"), port, List.of("alice@local.test"));
             LmtpHandoff handoff = LmtpHandoff.create(config(List.of(new OutboundConfig.HostPort("127.0.0.1", Ports.free()),
                     new OutboundConfig.HostPort("localhost", port))), "front.test", new SimpleMeterRegistry())) {
            QueuedMessage m = message(dir, "lmtp-4", List.of(rcpt("alice@local.test"), rcpt("bob@local.test")));
            java.util.Map<String, DeliveryResult> results = handoff.deliver(m, m.envelope().recipients())
                    .get(30, TimeUnit.SECONDS).stream()
                    .collect(java.util.stream.Collectors.toMap(r -> r.recipient().address().toString(), r -> r));
            assertThat(results.get("alice@local.test").outcome()).as(results.toString())
                    .isInstanceOf(RecipientOutcome.Succeeded.class);
            assertThat(results.get("alice@local.test").diagnostic()).startsWith("250 2.0.0 <alice@local.test>");
            assertThat(results.get("bob@local.test").outcome()).isInstanceOf(RecipientOutcome.Failed.class);
            assertThat(results.get("bob@local.test").status()).hasToString("5.1.1");
            assertThat(results.get("bob@local.test").diagnostic()).contains("User doesn't exist");
            assertThat(dovecot.newMessages("alice@local.test")).singleElement().satisfies(text -> assertThat(text)
                    .contains("Subject: outbound lmtp-4", "\r\n.leading dot line\r\n..two dots\r\n".replace("\r\n", "\n")));
        }
    }
}
