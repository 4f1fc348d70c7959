package io.postern.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class MilterConfigTest {
    private static final String DIRECTORY = "directory:\n  urls: [ldap://127.0.0.1:389]\n  baseDn: dc=example,dc=test\n";

    private static PosternConfig parse(String yaml) {
        return new ConfigLoader(new SecretResolver(Map.of())).parse(DIRECTORY + yaml, Path.of("/srv/postern"), "test.yaml");
    }

    private static List<String> problems(String yaml) {
        try {
            parse(yaml);
        } catch (ConfigException e) {
            return e.problems();
        }
        throw new AssertionError("expected configuration problems");
    }

    @Test
    void defaultsAndListenerOrder() {
        PosternConfig config = parse("""
                listeners:
                  - { name: smtp, kind: mx, port: 2525, milters: [clamav, rspamd] }
                milters:
                  - { name: rspamd, address: "inet:127.0.0.1:11332" }
                  - { name: clamav, address: "unix:/run/clamav/milter.sock", defaultAction: accept,
                      connectTimeout: 1s, commandTimeout: 2s, endOfMessageTimeout: 90s, failureThreshold: 3,
                      retryAfter: 1m, maxIdleConnections: 0, macros: { mail: ["i", "{auth_authen}"] } }
                """);
        List<MilterConfig> milters = config.miltersOf(config.listeners().get(0));
        assertThat(milters).extracting(MilterConfig::name).containsExactly("clamav", "rspamd");
        MilterConfig rspamd = milters.get(1);
        assertThat(rspamd.address()).isEqualTo(new MilterAddress.Inet("127.0.0.1", 11332));
        assertThat(rspamd.defaultAction()).isEqualTo(MilterDefaultAction.TEMPFAIL);
        assertThat(rspamd.endOfMessageTimeout()).isEqualTo(Duration.ofSeconds(60));
        assertThat(rspamd.failureThreshold()).isEqualTo(5);
        MilterConfig clamav = milters.get(0);
        assertThat(clamav.address()).isEqualTo(new MilterAddress.Unix(Path.of("/run/clamav/milter.sock")));
        assertThat(clamav.defaultAction()).isEqualTo(MilterDefaultAction.ACCEPT);
        assertThat(clamav.commandTimeout()).isEqualTo(Duration.ofSeconds(2));
        assertThat(clamav.retryAfter()).isEqualTo(Duration.ofMinutes(1));
        assertThat(clamav.maxIdleConnections()).isZero();
        assertThat(clamav.macros()).containsEntry("mail", List.of("i", "{auth_authen}"));
    }

    @Test
    void everyMistakeIsNamed() {
        assertThat(problems("""
                listeners:
                  - { name: smtp, kind: mx, port: 2525, milters: [spam, spam, nope] }
                  - { name: pop, kind: pop3, port: 2110, milters: [spam] }
                milters:
                  - { name: spam, address: "inet:localhost" }
                  - { name: spam, address: "tcp:1.2.3.4:5", failureThreshold: 0, commandTimeout: 0s, macros: { bogus: [x] } }
                  - { address: "unix:relative/path" }
                """)).contains(
                "listeners[0].milters: 'nope' is not defined in the milters section (defined: spam)",
                "listeners[0].milters: names a milter twice",
                "listeners[1].milters: milters apply to mx and submission listeners only",
                "milters[0].address: 'inet:localhost' is not inet:host:port (port 1-65535)",
                "milters[1].name: 'spam' is already used by milters[0]",
                "milters[1].address: 'tcp:1.2.3.4:5' must start with inet: or unix:",
                "milters[1].commandTimeout: must be longer than 0",
                "milters[1].macros.bogus: unknown key",
                "milters[2].name: is required (listeners refer to milters by name)",
                "milters[2].address: 'unix:relative/path' needs an absolute path after unix:");
        assertThat(problems("""
                listeners: [ { kind: mx, port: 25 } ]
                milters: [ { name: a, address: "inet:127.0.0.1:1", failureThreshold: 0 } ]
                """)).anyMatch(p -> p.startsWith("milters[0].failureThreshold"));
    }

    @Test
    void addressesParseLikePostfix() {
        assertThat(MilterAddress.parse("inet:[::1]:11332")).isEqualTo(new MilterAddress.Inet("::1", 11332));
        assertThat(MilterAddress.parse("inet:milter.internal:8891").toString()).isEqualTo("inet:milter.internal:8891");
        assertThatThrownBy(() -> MilterAddress.parse("inet:host:70000")).hasMessageContaining("port 1-65535");
    }
}
