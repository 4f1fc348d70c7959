package io.postern.tls;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.postern.config.ConfigException;
import io.postern.config.ConfigLoader;
import io.postern.config.SecretResolver;
import io.postern.config.TlsConfig;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What TLS a listener speaks (issue 19, item 9): no CBC or SHA-1 suites by default, no client renegotiation. */
class TlsPolicyTest {
    private static final String CBC_SHA1 = "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA";

    @TempDir
    Path dir;

    @Test
    void aClientOfferingOnlyCbcWithSha1IsRefusedByDefault() throws Exception {
        try (TlsEchoServer server = new TlsEchoServer(dir, TlsConfig.DEFAULT_PROTOCOLS, TlsConfig.DEFAULT_CIPHERS)) {
            try (SSLSocket cbc = server.client("TLSv1.2", CBC_SHA1)) {
                assertThatThrownBy(cbc::startHandshake).isInstanceOf(SSLException.class);
            }
            try (SSLSocket cbc256 = server.client("TLSv1.2", "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384")) {
                assertThatThrownBy(cbc256::startHandshake).isInstanceOf(SSLException.class);
            }
            try (SSLSocket aead = server.client("TLSv1.2", "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256", CBC_SHA1)) {
                assertThat(TlsEchoServer.echo(aead, "hi")).isEqualTo("hi");
                assertThat(aead.getSession().getCipherSuite()).isEqualTo("TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256");
            }
            try (SSLSocket tls13 = server.client("TLSv1.3", "TLS_AES_256_GCM_SHA384")) {
                assertThat(TlsEchoServer.echo(tls13, "hi")).isEqualTo("hi");
            }
            try (SSLSocket old = server.client("TLSv1.1", CBC_SHA1)) {
                assertThatThrownBy(old::startHandshake).isInstanceOf(SSLException.class);
            }
        }
    }

    @Test
    void theSuitesAreConfigurable() throws Exception {
        try (TlsEchoServer server = new TlsEchoServer(dir, List.of("TLSv1.2"), List.of(CBC_SHA1))) {
            try (SSLSocket cbc = server.client("TLSv1.2", CBC_SHA1)) {
                assertThat(TlsEchoServer.echo(cbc, "legacy")).isEqualTo("legacy");
            }
        }
    }

    @Test
    void configuredProtocolsAndSuitesAreChecked() {
        assertThat(parse("tls: {selfSigned: true}\n").tls().ciphers()).isEqualTo(TlsConfig.DEFAULT_CIPHERS)
                .noneMatch(c -> c.contains("_CBC_") || c.endsWith("_SHA") || c.startsWith("TLS_RSA_"));
        assertThat(parse("tls: {selfSigned: true}\n").tls().protocols()).containsExactly("TLSv1.3", "TLSv1.2");
        assertThat(parse("tls: {selfSigned: true, protocols: [TLSv1.2], ciphers: [" + CBC_SHA1 + "]}\n").tls().ciphers())
                .containsExactly(CBC_SHA1);
        assertThatThrownBy(() -> parse("tls: {selfSigned: true, protocols: [TLSv1.1, TLSv1.2]}\n"))
                .isInstanceOf(ConfigException.class).hasMessageContaining("tls.protocols").hasMessageContaining("TLSv1.1");
        assertThatThrownBy(() -> parse("tls: {selfSigned: true, ciphers: [TLS_AES_128_GCM_SHA256, NOT_A_SUITE]}\n"))
                .isInstanceOf(ConfigException.class).hasMessageContaining("tls.ciphers").hasMessageContaining("NOT_A_SUITE");
        assertThatThrownBy(() -> parse("tls: {selfSigned: true, ciphers: [TLS_AES_128_GCM_SHA256]}\n"))
                .isInstanceOf(ConfigException.class).hasMessageContaining("no TLS 1.2 suite");
    }

    /** The JDK reads its switch once per process: a fresh JVM shows what a node does. */
    @Test
    void aClientInitiatedRenegotiationIsRefused() throws Exception {
        Process probe = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), RenegotiationProbe.class.getName())
                .redirectErrorStream(true).start();
        assertThat(probe.waitFor(120, TimeUnit.SECONDS)).as("probe finished").isTrue();
        String out = new String(probe.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(out).as(out).contains("FIRST one").contains("REFUSED").doesNotContain("RENEGOTIATED");
    }

    private io.postern.config.PosternConfig parse(String tls) {
        return new ConfigLoader(new SecretResolver(Map.of())).parse("node: {hostname: mx.test}\n"
                + "listeners:\n  - {kind: mx, port: 2525, tls: starttls}\n"
                + "directory: {urls: ['ldap://127.0.0.1:1'], baseDn: 'dc=example,dc=com'}\n"
                + "domains: [example.com]\n" + tls, dir, "test.yaml");
    }
}
