package io.postern.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class Pop3ConfigTest {
    private static final String BASE = "listeners:\n  - { kind: pop3, port: 2110 }\n"
            + "directory:\n  baseDn: dc=example,dc=test\n  urls: [\"ldap://127.0.0.1:389\"]\n";

    private static PosternConfig parse(String yaml) {
        return new ConfigLoader(new SecretResolver(java.util.Map.of())).parse(BASE + yaml, Path.of("/tmp"), "test.yaml");
    }

    @Test
    void defaultsApplyWhenTheSectionIsMissing() {
        assertThat(parse("").pop3()).isEqualTo(Pop3Config.defaults());
        assertThat(Pop3Config.defaults().lockLease()).isEqualTo(Duration.ofMinutes(2));
        assertThat(Pop3Config.defaults().maxLineLength()).isEqualTo(8192);
    }

    @Test
    void keysAreRead() {
        Pop3Config pop3 = parse("pop3:\n  lockLease: 30s\n  maxLineLength: 1024\n  maxBadCommands: 5\n"
                + "  maxPipelinedCommands: 10\n  idleTimeout: 5m\n").pop3();
        assertThat(pop3.lockLease()).isEqualTo(Duration.ofSeconds(30));
        assertThat(pop3.maxLineLength()).isEqualTo(1024);
        assertThat(pop3.maxBadCommands()).isEqualTo(5);
        assertThat(pop3.maxPipelinedCommands()).isEqualTo(10);
        assertThat(pop3.idleTimeout()).isEqualTo(Duration.ofMinutes(5));
    }

    @Test
    void outOfRangeValuesNameTheirPath() {
        assertThatThrownBy(() -> parse("pop3:\n  lockLease: 1s\n  maxLineLength: 10\n"))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("pop3.lockLease")
                .hasMessageContaining("pop3.maxLineLength");
    }

    @Test
    void commandLineAndAuthorizationKeys() {
        assertThat(Pop3Config.defaults().maxCommandLine()).isEqualTo(255);
        assertThat(Pop3Config.defaults().authorizationTimeout()).isEqualTo(Duration.ofSeconds(60));
        Pop3Config pop3 = parse("pop3:\n  maxCommandLine: 512\n  authorizationTimeout: 2m\n").pop3();
        assertThat(pop3.maxCommandLine()).isEqualTo(512);
        assertThat(pop3.authorizationTimeout()).isEqualTo(Duration.ofMinutes(2));
        assertThatThrownBy(() -> parse("pop3:\n  maxCommandLine: 254\n  authorizationTimeout: 0s\n"))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("pop3.maxCommandLine")
                .hasMessageContaining("pop3.authorizationTimeout");
        assertThatThrownBy(() -> parse("pop3:\n  maxLineLength: 300\n  maxCommandLine: 400\n"))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("pop3.maxCommandLine");
    }

    @Test
    void listenersMayCarryTheirOwnConnectionCaps() {
        PosternConfig config = new ConfigLoader(new SecretResolver(java.util.Map.of())).parse(
                "listeners:\n  - { kind: pop3, port: 2110, maxConnections: 7, maxConnectionsPerClient: 3 }\n"
                        + "  - { kind: mx, port: 2525 }\n"
                        + "directory:\n  baseDn: dc=example,dc=test\n  urls: [\"ldap://127.0.0.1:389\"]\n"
                        + "smtp: {dataTotalTimeout: 20m, minDataRate: 1KiB}\n",
                Path.of("/tmp"), "test.yaml");
        assertThat(config.listeners().get(0).maxConnections()).hasValue(7);
        assertThat(config.listeners().get(0).maxConnectionsPerClient()).hasValue(3);
        assertThat(config.listeners().get(1).maxConnections()).isEmpty();
        assertThat(config.smtp().dataTotalTimeout()).isEqualTo(Duration.ofMinutes(20));
        assertThat(config.smtp().minDataRate()).isEqualTo(1024);
        assertThatThrownBy(() -> parse("smtp: {dataTotalTimeout: 0s}\n"))
                .isInstanceOf(ConfigException.class).hasMessageContaining("smtp.dataTotalTimeout");
        assertThatThrownBy(() -> new ConfigLoader(new SecretResolver(java.util.Map.of())).parse(
                "listeners:\n  - { kind: mx, port: 2525, maxConnections: 0 }\n"
                        + "directory:\n  baseDn: dc=example,dc=test\n  urls: [\"ldap://127.0.0.1:389\"]\n",
                Path.of("/tmp"), "test.yaml"))
                .isInstanceOf(ConfigException.class).hasMessageContaining("maxConnections");
    }
}
