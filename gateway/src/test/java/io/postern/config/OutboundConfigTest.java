package io.postern.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.snakeyaml.engine.v2.api.Load;
import org.snakeyaml.engine.v2.api.LoadSettings;

class OutboundConfigTest {

    private record Loaded(OutboundConfig config, List<String> problems) {
    }

    private static Loaded load(String yaml, Map<String, String> env) {
        Object tree = new Load(LoadSettings.builder().build()).loadFromString(yaml);
        ConfigProblems problems = new ConfigProblems();
        ConfigNode root = ConfigNode.root(tree == null ? Map.of() : (Map<?, ?>) tree, problems, new SecretResolver(env));
        OutboundConfig config = OutboundConfig.from(root.section("outbound"), Path.of("/etc/postern"));
        root.finish();
        return new Loaded(config, problems.list());
    }

    @Test
    void emptySectionGivesTheDefaults() {
        Loaded loaded = load("{}", Map.of());
        assertThat(loaded.problems()).isEmpty();
        assertThat(loaded.config()).isEqualTo(OutboundConfig.defaults());
        assertThat(loaded.config().port()).isEqualTo(25);
        assertThat(loaded.config().timeouts().greeting()).isEqualTo(Duration.ofMinutes(5));
        assertThat(loaded.config().timeouts().dataInit()).isEqualTo(Duration.ofMinutes(2));
        assertThat(loaded.config().timeouts().dataBlock()).isEqualTo(Duration.ofMinutes(3));
        assertThat(loaded.config().timeouts().dataDone()).isEqualTo(Duration.ofMinutes(10));
        assertThat(loaded.config().tlsPolicyFor("example.com")).isEqualTo(OutboundConfig.TlsPolicy.OPPORTUNISTIC);
    }

    @Test
    void readsEverySetting() {
        Loaded loaded = load("""
                outbound:
                  port: 2525
                  dnsServers: ["127.0.0.1:5353", "[::1]", "10.0.0.2"]
                  dnsTimeout: 2s
                  timeouts: {connect: 3s, greeting: 10s, dataDone: 1m}
                  tls:
                    policy: none
                    trustFile: ca.pem
                    destinations:
                      - {domain: Bank.Example, policy: verify}
                  relayHost: {host: "smtp.provider.net:587", username: postern, password: "${env:RELAY_PW}"}
                  connections: {maxPerDestination: 3, maxIdlePerDestination: 1, idleTimeout: 2s, maxMessagesPerConnection: 7}
                  maxRecipientsPerTransaction: 3
                  lmtpTargets: ["delivery.mail.svc:24", "127.0.0.1"]
                """, Map.of("RELAY_PW", "s3cret"));
        assertThat(loaded.problems()).isEmpty();
        OutboundConfig c = loaded.config();
        assertThat(c.port()).isEqualTo(2525);
        assertThat(c.dnsServers()).extracting(Object::toString).containsExactly("127.0.0.1:5353", "[::1]:53", "10.0.0.2:53");
        assertThat(c.timeouts().connect()).isEqualTo(Duration.ofSeconds(3));
        assertThat(c.timeouts().rcpt()).isEqualTo(Duration.ofMinutes(5));
        assertThat(c.tlsPolicyFor("bank.example")).isEqualTo(OutboundConfig.TlsPolicy.VERIFY);
        assertThat(c.tlsPolicyFor("other.example")).isEqualTo(OutboundConfig.TlsPolicy.NONE);
        assertThat(c.tls().trustFile()).contains(Path.of("/etc/postern/ca.pem"));
        OutboundConfig.RelayHost relay = c.relayHost().orElseThrow();
        assertThat(relay.address().toString()).isEqualTo("smtp.provider.net:587");
        assertThat(relay.password()).contains("s3cret");
        assertThat(relay.tls()).isEqualTo(OutboundConfig.TlsPolicy.REQUIRED);
        assertThat(relay.toString()).doesNotContain("s3cret");
        assertThat(c.connections().maxMessagesPerConnection()).isEqualTo(7);
        assertThat(c.connections().maxPerDestination()).isEqualTo(3);
        assertThat(c.maxRecipientsPerTransaction()).isEqualTo(3);
        assertThat(c.lmtpTargets()).extracting(Object::toString).containsExactly("delivery.mail.svc:24", "127.0.0.1:24");
    }

    @Test
    void reportsEveryProblemWithItsPath() {
        Loaded loaded = load("""
                outbound:
                  port: 0
                  dnsServers: ["1.2.3.4:99999", "::1"]
                  timeouts: {connect: 0s, greeting: soon}
                  tls:
                    policy: maybe
                    destinations: [{domain: "not a domain", policy: verify}, {domain: a.example}]
                  relayHost: {host: relay.example, username: u, tls: opportunistic}
                  connections: {maxMessagesPerConnection: 0, maxPerDestination: 0}
                  maxReplyLineLength: 100
                  lmtpTargets: ["a:24", "a:24"]
                  colour: blue
                """, Map.of());
        assertThat(loaded.problems()).containsExactlyInAnyOrder(
                "outbound.port: 0 is not a port (1-65535)",
                "outbound.dnsServers[0]: '1.2.3.4:99999' has no valid port (1-65535)",
                "outbound.dnsServers[1]: '::1': write an IPv6 address as [address]:port",
                "outbound.timeouts.connect: must be greater than zero",
                "outbound.timeouts.greeting: 'soon' is not a duration (like 250ms, 30s, 5m, 24h, 5d)",
                "outbound.tls.policy: 'maybe' is not one of none, opportunistic, required, verify",
                "outbound.tls.destinations[0].domain: 'not a domain' is not a domain name",
                "outbound.tls.destinations[1].policy: is required",
                "outbound.relayHost.password: is required when username is set",
                "outbound.relayHost.tls: must be required or verify when username/password are set "
                        + "(AUTH is never sent in plaintext)",
                "outbound.connections.maxMessagesPerConnection: 0 is out of range (1-1000000)",
                "outbound.connections.maxPerDestination: 0 is out of range (1-10000)",
                "outbound.maxReplyLineLength: 100 is out of range (512-1000000)",
                "outbound.lmtpTargets[1]: 'a:24' is listed twice",
                "outbound.colour: unknown key");
    }

    @Test
    void wholeFileCarriesTheOutboundSectionAndWithRoleKeepsIt() throws Exception {
        String demo;
        try (var in = ConfigLoader.class.getResourceAsStream("/io/postern/cli/demo.yaml")) {
            demo = new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        }
        PosternConfig plain = new ConfigLoader(new SecretResolver(Map.of())).parse(demo, Path.of("/srv"), "demo.yaml");
        assertThat(plain.outbound()).isEqualTo(OutboundConfig.defaults());
        PosternConfig configured = new ConfigLoader(new SecretResolver(Map.of())).parse(
                demo + "\noutbound:\n  lmtpTargets: [\"delivery:24\"]\n", Path.of("/srv"), "demo.yaml");
        assertThat(configured.withRole(Role.FRONT).outbound().lmtpTargets()).extracting(Object::toString)
                .containsExactly("delivery:24");
    }
}
