package io.postern.it.outbound;

import static io.postern.it.outbound.OutboundMessages.message;
import static io.postern.it.outbound.OutboundMessages.rcpt;
import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.postern.config.OutboundConfig;
import io.postern.config.OutboundConfig.TlsPolicy;
import io.postern.it.servers.Dnsmasq;
import io.postern.it.servers.DovecotLmtp;
import io.postern.it.servers.PostfixMx;
import io.postern.it.servers.SmtpSink;
import io.postern.it.support.ExternalProcess;
import io.postern.it.support.Ports;
import io.postern.mail.DeliveryResult;
import io.postern.mail.QueuedMessage;
import io.postern.mail.RecipientOutcome;
import io.postern.outbound.OutboundDelivery;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * STARTTLS policies against a real Postfix MX (certificate for mx.tls.test signed by a test CA)
 * and smtp-sink (no STARTTLS at all).
 */
class OutboundTlsIT {
    @TempDir
    static Path dir;

    static Dnsmasq dns;
    static DovecotLmtp sasl;
    static PostfixMx postfix;
    static SmtpSink plain;
    static OutboundDelivery delivery;
    static int port;

    @BeforeAll
    static void start() throws Exception {
        Path pki = Files.createDirectories(dir.resolve("pki"));
        openssl(pki, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=Postern Test CA",
                "-keyout", "ca.key", "-out", "ca.pem", "-addext", "basicConstraints=critical,CA:TRUE");
        openssl(pki, "req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=mx.tls.test", "-keyout", "key.pem",
                "-out", "req.csr");
        Files.writeString(pki.resolve("ext.cnf"), "subjectAltName=DNS:mx.tls.test\n");
        openssl(pki, "x509", "-req", "-in", "req.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial",
                "-days", "2", "-extfile", "ext.cnf", "-out", "cert.pem");
        dns = Dnsmasq.builder().localDomain("test")
                .mx("tls.test", "mx.tls.test", 10).mx("verified.test", "mx.tls.test", 10).host("mx.tls.test", "127.0.0.1")
                .mx("wrongname.test", "mx.wrongname.test", 10).host("mx.wrongname.test", "127.0.0.1")
                .mx("plain.test", "mx.plain.test", 10).host("mx.plain.test", "127.0.0.11")
                .start(dir.resolve("dns"));
        port = Ports.free();
        sasl = DovecotLmtp.start(dir.resolve("dovecot"), Ports.free(), List.of("relay@postern.test:s3cret-pw"));
        postfix = PostfixMx.start(dir.resolve("postfix"), port, "mx.tls.test", pki.resolve("cert.pem"),
                pki.resolve("key.pem"), List.of("tls.test", "verified.test", "wrongname.test"),
                Optional.of(sasl.authSocket()));
        plain = SmtpSink.start(dir, "plain", "127.0.0.11", port);
        OutboundConfig d = OutboundConfig.defaults();
        OutboundConfig.Timeouts t = new OutboundConfig.Timeouts(Duration.ofSeconds(3), Duration.ofSeconds(10),
                Duration.ofSeconds(10), Duration.ofSeconds(10), Duration.ofSeconds(10), Duration.ofSeconds(10),
                Duration.ofSeconds(10), Duration.ofSeconds(20));
        OutboundConfig.Tls tls = new OutboundConfig.Tls(TlsPolicy.OPPORTUNISTIC, Map.of("verified.test", TlsPolicy.VERIFY,
                "wrongname.test", TlsPolicy.VERIFY, "plain.test", TlsPolicy.REQUIRED), Optional.of(pki.resolve("ca.pem")));
        OutboundConfig config = new OutboundConfig(port, List.of(new OutboundConfig.HostPort("127.0.0.1", dns.port())),
                Duration.ofSeconds(2), t, tls, Optional.empty(), d.connections(), d.maxRecipientsPerTransaction(),
                d.maxReplyLineLength(), d.maxReplyLines(), List.of());
        delivery = OutboundDelivery.create(config, "postern.test", new SimpleMeterRegistry());
    }

    private static void openssl(Path dir, String... args) throws Exception {
        List<String> command = new java.util.ArrayList<>(List.of("openssl"));
        command.addAll(List.of(args));
        ExternalProcess.Result result = ExternalProcess.run(dir, Duration.ofSeconds(30), command);
        assertThat(result.exitCode()).as(result.output()).isZero();
    }

    @AfterAll
    static void stop() throws Exception {
        if (delivery != null) {
            delivery.close();
        }
        for (AutoCloseable c : new AutoCloseable[] {postfix, sasl, plain, dns}) {
            if (c != null) {
                c.close();
            }
        }
    }

    private static DeliveryResult deliverOne(String marker, String to) throws Exception {
        QueuedMessage m = message(dir, marker, List.of(rcpt(to)));
        List<DeliveryResult> results = delivery.deliver(m, m.envelope().recipients()).get(60, TimeUnit.SECONDS);
        assertThat(results).hasSize(1);
        return results.getFirst();
    }

    @Test
    void opportunisticTlsIsUsedWhenOffered() throws Exception {
        DeliveryResult r = deliverOne("tls-1", "bob@tls.test");
        assertThat(r.outcome()).as(r.toString()).isInstanceOf(RecipientOutcome.Succeeded.class);
        assertThat(r.remoteMta().orElseThrow()).isEqualTo("mx.tls.test[127.0.0.1]:" + port);
        postfix.awaitLogLine(Duration.ofSeconds(10), "TLS connection established from localhost[127.0.0.1]");
        postfix.awaitLogLine(Duration.ofSeconds(10), "to=<bob@tls.test>", "status=sent");
    }

    @Test
    void verifyAcceptsACertificateThatNamesTheMxHost() throws Exception {
        DeliveryResult r = deliverOne("tls-2", "carol@verified.test");
        assertThat(r.outcome()).as(r.toString()).isInstanceOf(RecipientOutcome.Succeeded.class);
        postfix.awaitLogLine(Duration.ofSeconds(10), "to=<carol@verified.test>", "status=sent");
    }

    @Test
    void verifyDefersWhenTheCertificateNamesAnotherHost() throws Exception {
        int mark = postfix.log().length();
        DeliveryResult r = deliverOne("tls-3", "dave@wrongname.test");
        assertThat(r.outcome()).as(r.toString()).isInstanceOf(RecipientOutcome.Deferred.class);
        assertThat(r.status()).hasToString("4.7.5");
        assertThat(r.diagnostic()).contains("TLS handshake with mx.wrongname.test[127.0.0.1]:" + port + " failed");
        assertNoRecipientReached(mark, "starttls=0/1", "to=<dave@wrongname.test>");
    }

    @Test
    void requiredDefersWhenStarttlsIsNotOffered() throws Exception {
        DeliveryResult r = deliverOne("tls-4", "erin@plain.test");
        assertThat(r.outcome()).as(r.toString()).isInstanceOf(RecipientOutcome.Deferred.class);
        assertThat(r.status()).hasToString("4.7.4");
        assertThat(r.diagnostic()).contains("STARTTLS was not offered");
        assertThat(plain.messages()).isEmpty();
    }

    private static DeliveryResult viaRelay(String marker, String to, String password) throws Exception {
        OutboundConfig base = OutboundConfig.defaults();
        OutboundConfig.RelayHost relay = new OutboundConfig.RelayHost(new OutboundConfig.HostPort("127.0.0.1", port),
                Optional.of("relay@postern.test"), Optional.of(password), TlsPolicy.REQUIRED);
        OutboundConfig config = new OutboundConfig(port, List.of(), Duration.ofSeconds(2), base.timeouts(), base.tls(),
                Optional.of(relay), base.connections(), base.maxRecipientsPerTransaction(), base.maxReplyLineLength(),
                base.maxReplyLines(), List.of());
        try (OutboundDelivery agent = OutboundDelivery.create(config, "postern.test", new SimpleMeterRegistry())) {
            QueuedMessage m = message(dir, marker, List.of(rcpt(to)));
            return agent.deliver(m, m.envelope().recipients()).get(60, TimeUnit.SECONDS).getFirst();
        }
    }

    @Test
    void relayHostWithAuthPlainOverStarttls() throws Exception {
        DeliveryResult r = viaRelay("auth-1", "frank@anywhere.example", "s3cret-pw");
        assertThat(r.outcome()).as(r.toString()).isInstanceOf(RecipientOutcome.Succeeded.class);
        assertThat(r.remoteMta().orElseThrow()).isEqualTo("127.0.0.1[127.0.0.1]:" + port);
        postfix.awaitLogLine(Duration.ofSeconds(10), "sasl_method=PLAIN", "sasl_username=relay@postern.test");
        postfix.awaitLogLine(Duration.ofSeconds(10), "to=<frank@anywhere.example>", "status=sent");
    }

    @Test
    void aRefusedRelayLoginDefersAndNeverBounces() throws Exception {
        int mark = postfix.log().length();
        DeliveryResult r = viaRelay("auth-2", "gina@anywhere.example", "wrong");
        assertThat(r.outcome()).as(r.toString()).isInstanceOf(RecipientOutcome.Deferred.class);
        assertThat(r.status()).hasToString("4.7.8");
        assertThat(r.diagnostic()).contains("authentication at relay host 127.0.0.1[127.0.0.1]:" + port + " failed: 535")
                .doesNotContain("wrong");
        assertNoRecipientReached(mark, "auth=0/1", "to=<gina@anywhere.example>");
    }

    /**
     * smtpd's disconnect line ends the session and counts its commands ({@code failedCommand}, e.g.
     * {@code auth=0/1}, tells this session from an earlier one logged late): without an accepted
     * RCPT nothing can have been queued, so the recipient's absence from the log is final.
     */
    private static void assertNoRecipientReached(int logOffset, String failedCommand, String recipient)
            throws Exception {
        String disconnect = postfix.awaitLogLineAfter(logOffset, Duration.ofSeconds(60), "disconnect from",
                " " + failedCommand + " ");
        assertThat(disconnect).doesNotContain(" rcpt=").doesNotContain(" data=");
        assertThat(postfix.log()).doesNotContain(recipient);
    }
}
