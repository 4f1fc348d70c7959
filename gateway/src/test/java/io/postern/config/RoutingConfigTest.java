package io.postern.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class RoutingConfigTest {
    private static final String HEAD = "listeners:\n  - { name: mx, kind: mx, address: 127.0.0.1, port: 25 }\n"
            + "directory: { urls: [\"ldap://127.0.0.1:389\"], baseDn: \"dc=example,dc=test\" }\n"
            + "domains: [example.test]\n";

    private static PosternConfig parse(String yaml) {
        return new ConfigLoader(new SecretResolver(Map.of())).parse(HEAD + yaml, Path.of("/srv"), "test.yaml");
    }

    private static PosternConfig withDirectory(String directory) {
        return new ConfigLoader(new SecretResolver(Map.of())).parse(
                HEAD.replaceFirst("directory: .*\n", "") + directory, Path.of("/srv"), "test.yaml");
    }

    @Test
    void noRelayDomainsByDefault() {
        PosternConfig config = parse("");
        assertThat(config.routing()).isEqualTo(RoutingConfig.none());
        assertThat(config.directory().mapping().attributes().homeServer()).isEmpty();
    }

    @Test
    void relayDomainsWithTheirNextHopsAndVerification() {
        RoutingConfig routing = parse("""
                routing:
                  relayDomains:
                    - { domain: Legacy.Example.test, nextHop: "smtp:[10.0.0.5]:2525" }
                    - { domain: apps.example.test, nextHop: "lmtp:mda.internal", verify: none }
                    - { domain: mx.example.test, nextHop: "smtp:exchange.example.test" }
                  localHomeServers: [Mail.Example.test]
                """).routing();
        assertThat(routing.relayDomain("legacy.example.test")).contains(new RoutingConfig.RelayDomain(
                "legacy.example.test", new NextHop(NextHop.Protocol.SMTP, "10.0.0.5", 2525, false),
                RoutingConfig.Verify.DIRECTORY));
        assertThat(routing.relayDomain("APPS.example.test")).contains(new RoutingConfig.RelayDomain(
                "apps.example.test", new NextHop(NextHop.Protocol.LMTP, "mda.internal", 24, false),
                RoutingConfig.Verify.NONE));
        assertThat(routing.relayDomain("mx.example.test").orElseThrow().nextHop())
                .isEqualTo(new NextHop(NextHop.Protocol.SMTP, "exchange.example.test", 25, true));
        assertThat(routing.relayDomain("example.test")).isEmpty();
        assertThat(routing.localHomeServers()).containsExactly("mail.example.test");
    }

    @Test
    void mistakesAreReportedWithTheirPath() {
        assertThatThrownBy(() -> parse("""
                routing:
                  relayDomains:
                    - { domain: example.test, nextHop: "smtp:[a.test]" }
                    - { domain: b.test, nextHop: "b.internal" }
                    - { domain: c.test, nextHop: "smtp:[c.internal]:99999" }
                    - { domain: d.test, nextHop: "smtp:[d.internal]", verify: maybe }
                    - { domain: e.test, nextHop: "smtp:[e1]" }
                    - { domain: E.test, nextHop: "smtp:[e2]" }
                    - { domain: "not a domain", nextHop: "smtp:[f]" }
                    - { domain: g.test }
                  localHomeServers: ["bad host!"]
                """)).isInstanceOfSatisfying(ConfigException.class, e -> assertThat(e.problems()).containsExactlyInAnyOrder(
                "routing.relayDomains[0].domain: 'example.test' is also listed in domains: a domain is either stored"
                        + " here or relayed to a next hop, not both",
                "routing.relayDomains[1].nextHop: 'b.internal' is not a next hop (write smtp:[host]:port,"
                        + " smtp:host:port or lmtp:host:port)",
                "routing.relayDomains[2].nextHop: 'smtp:[c.internal]:99999': '[c.internal]:99999' has no valid port (1-65535)",
                "routing.relayDomains[3].verify: 'maybe' is not one of directory, none",
                "routing.relayDomains[5].domain: 'e.test' is listed twice",
                "routing.relayDomains[6].domain: 'not a domain' is not a domain name",
                "routing.relayDomains[7].nextHop: is required",
                "routing.localHomeServers[0]: 'bad host!' is not a host name"));
    }

    @Test
    void theHomeServerAttributeIsMailHostOnInetLocalMailAndConfigurableElsewhere() {
        assertThat(withDirectory("directory: { urls: [\"ldap://127.0.0.1:389\"], baseDn: \"dc=example,dc=test\","
                + " profile: inet-local-mail }\n").directory().mapping().attributes().homeServer()).isEqualTo("mailHost");
        assertThat(withDirectory("directory: { urls: [\"ldap://127.0.0.1:389\"], baseDn: \"dc=example,dc=test\","
                + " profile: active-directory, attributes: { homeServer: msExchHomeServerName } }\n")
                .directory().mapping().attributes().homeServer()).isEqualTo("msExchHomeServerName");
        assertThatThrownBy(() -> withDirectory("directory: { urls: [\"ldap://127.0.0.1:389\"], baseDn: \"dc=example,dc=test\","
                + " attributes: { homeServer: \"no such\" } }\n"))
                .isInstanceOfSatisfying(ConfigException.class, e -> assertThat(e.problems()).containsExactly(
                        "directory.attributes.homeServer: 'no such' is not an attribute name"));
    }

    @Test
    void homeServerValuesInEveryAcceptedForm() {
        assertThat(NextHop.parseHomeServer("mail2.example.test"))
                .contains(new NextHop(NextHop.Protocol.SMTP, "mail2.example.test", 25, false));
        assertThat(NextHop.parseHomeServer("smtp:[10.1.2.3]:2525"))
                .contains(new NextHop(NextHop.Protocol.SMTP, "10.1.2.3", 2525, false));
        assertThat(NextHop.parseHomeServer("lmtp:[::1]:24"))
                .contains(new NextHop(NextHop.Protocol.LMTP, "::1", 24, false));
        assertThat(NextHop.parseHomeServer(
                "/o=Example/ou=Exchange Administrative Group (FYDIBOHF23SPDLT)/cn=Configuration/cn=Servers/cn=EXCH01"))
                .contains(new NextHop(NextHop.Protocol.SMTP, "exch01", 25, false));
        assertThat(NextHop.parseHomeServer("not a host")).isEqualTo(Optional.empty());
        assertThat(NextHop.parseHomeServer("smtp:[unclosed:25")).isEmpty();
        assertThat(new NextHop(NextHop.Protocol.SMTP, "10.1.2.3", 2525, false).toString()).isEqualTo("smtp:[10.1.2.3]:2525");
        assertThat(new NextHop(NextHop.Protocol.LMTP, "mda", 24, false).toString()).isEqualTo("lmtp:mda:24");
        assertThat(List.of(new NextHop(NextHop.Protocol.SMTP, "MX.test", 25, true).toString())).containsExactly("smtp:mx.test:25");
    }
}
