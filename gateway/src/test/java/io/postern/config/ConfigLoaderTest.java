package io.postern.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ConfigLoaderTest {
    private static final String MINIMAL = """
            listeners:
              - { kind: mx, port: 2525 }
            directory:
              urls: [ldap://127.0.0.1:389]
              baseDn: dc=example,dc=com
            """;

    @TempDir
    Path dir;

    private final ConfigLoader loader = new ConfigLoader(new SecretResolver(Map.of("LDAP_PW", "s3cret")));

    private PosternConfig parse(String yaml) {
        return loader.parse(yaml, dir, "test.yaml");
    }

    private ConfigException problems(String yaml) {
        try {
            parse(yaml);
        } catch (ConfigException e) {
            return e;
        }
        throw new AssertionError("expected configuration problems");
    }

    @Test
    void minimalFileGetsSafeDefaults() {
        PosternConfig config = parse(MINIMAL);
        assertThat(config.relay().trustedNetworks()).isEmpty();
        assertThat(config.auth().allowPlaintext()).isFalse();
        assertThat(config.auth().allowPlaintextOnLoopback()).isFalse();
        assertThat(config.admin().address()).isEqualTo("127.0.0.1");
        assertThat(config.node().role()).isEqualTo(Role.ALL);
        assertThat(config.smtp().maxCommandLine()).isEqualTo(512);
        assertThat(config.smtp().maxTextLine()).isEqualTo(1000);
        assertThat(config.queue().maxLifetime()).isEqualTo(Duration.ofDays(5));
        assertThat(config.queue().directory()).isEqualTo(dir.resolve("var/queue"));
    }

    @Test
    void reportsEveryProblemWithItsPath() {
        ConfigException e = problems("""
                listeners:
                  - { kind: mx, port: 2525 }
                  - { kind: pop3, port: 2110 }
                  - { kind: mx, port: 70000, name: other }
                directory:
                  urls: [http://dc1.example.com]
                  baseDn: dc=example,dc=com
                smtp:
                  maxRecipents: 10
                """);
        assertThat(e.problems()).containsExactlyInAnyOrder(
                "listeners[2].port: 70000 is not a port (1-65535)",
                "directory.urls[0]: unsupported scheme 'http' (ldap or ldaps)",
                "smtp.maxRecipents: unknown key");
    }

    @Test
    void secretsComeFromEnvironmentAndFiles() throws Exception {
        Path secret = Files.writeString(dir.resolve("pw"), "from-file\n");
        PosternConfig fromEnv = parse(MINIMAL.replace("baseDn: dc=example,dc=com",
                "baseDn: dc=example,dc=com\n  bindPassword: ${env:LDAP_PW}"));
        assertThat(fromEnv.directory().bindPassword()).isEqualTo("s3cret");
        PosternConfig fromFile = parse(MINIMAL.replace("baseDn: dc=example,dc=com",
                "baseDn: dc=example,dc=com\n  bindPassword: ${file:" + secret + "}"));
        assertThat(fromFile.directory().bindPassword()).isEqualTo("from-file");
        assertThat(problems(MINIMAL.replace("baseDn: dc=example,dc=com",
                "baseDn: dc=example,dc=com\n  bindPassword: ${env:NOPE}")).problems())
                .containsExactly("directory.bindPassword: environment variable 'NOPE' is not set");
    }

    /** Issue 16: ${file:NAME} with a relative NAME is read from the configuration file's folder, not the working directory. */
    @Test
    void aRelativeSecretFileIsReadFromTheConfigurationFolder() throws Exception {
        Files.createDirectories(dir.resolve("secrets"));
        Files.writeString(dir.resolve("secrets/ldap-pw"), "next-to-the-config\n");
        Path file = Files.writeString(dir.resolve("postern.yaml"), MINIMAL.replace("baseDn: dc=example,dc=com",
                "baseDn: dc=example,dc=com\n  bindPassword: ${file:secrets/ldap-pw}"));
        assertThat(Path.of("secrets/ldap-pw")).as("not found from the working directory").doesNotExist();
        assertThat(loader.load(file).directory().bindPassword()).isEqualTo("next-to-the-config");
        assertThat(problems(MINIMAL.replace("baseDn: dc=example,dc=com",
                "baseDn: dc=example,dc=com\n  bindPassword: ${file:secrets/missing}")).problems())
                .containsExactly("directory.bindPassword: cannot read file 'secrets/missing' ("
                        + dir.toAbsolutePath().resolve("secrets/missing") + ")");
    }

    /** Issue 16: a reference inside a reference, or a file holding one, is named as such, not half-expanded. */
    @Test
    void aNestedReferenceIsAClearError() throws Exception {
        assertThat(problems(MINIMAL.replace("baseDn: dc=example,dc=com",
                "baseDn: dc=example,dc=com\n  bindPassword: '${file:${env:LDAP_PW}}'")).problems())
                .singleElement().asString().startsWith("directory.bindPassword: nested reference in '${file:${env:LDAP_PW}}'");
        Files.writeString(dir.resolve("indirect"), "${env:LDAP_PW}\n");
        assertThat(problems(MINIMAL.replace("baseDn: dc=example,dc=com",
                "baseDn: dc=example,dc=com\n  bindPassword: ${file:indirect}")).problems())
                .singleElement().asString().startsWith("directory.bindPassword: nested reference: ${file:indirect} holds another");
    }

    @Test
    void wrongTypesAndValuesAreNamed() {
        ConfigException e = problems("""
                node: { role: everything, drainTimeout: soon }
                listeners:
                  - { kind: smtp, port: 25, tls: starttls }
                  - { kind: mx, port: 25, address: mail.example.com }
                directory: []
                relay:
                  trustedNetworks: [10.0.0.0/33, banana]
                smtp: { maxMessageSize: huge }
                """);
        assertThat(e.problems()).contains(
                "node.role: 'everything' is not one of front, delivery, all",
                "node.drainTimeout: 'soon' is not a duration (like 250ms, 30s, 5m, 24h, 5d)",
                "listeners[0].kind: 'smtp' is not one of mx, submission, lmtp, pop3",
                "listeners[1].address: 'mail.example.com' is not an IP address",
                "directory: expected a mapping, found a list",
                "relay.trustedNetworks[0]: '10.0.0.0/33' has a prefix length outside 0-32",
                "relay.trustedNetworks[1]: 'banana' is not a network (like 10.0.0.0/8)",
                "smtp.maxMessageSize: 'huge' is not a size (like 1000, 64KiB, 50MiB, 2GiB)",
                "listeners[0].tls: 'starttls' needs a certificate (tls.certificateFile and tls.privateKeyFile, or tls.selfSigned)");
    }

    @Test
    void duplicateSocketsAndNamesAreRefused() {
        ConfigException e = problems("""
                listeners:
                  - { kind: mx, port: 2525 }
                  - { kind: mx, port: 2525 }
                  - { kind: lmtp, port: 9925 }
                directory: { urls: [ldap://127.0.0.1], baseDn: dc=x }
                """);
        assertThat(e.problems()).contains(
                "listeners[1].name: 'mx' is already used by listeners[0]",
                "listeners[1].port: 2525 on 127.0.0.1 is already used by listeners[0]",
                "listeners[2].port: 9925 on 127.0.0.1 is already used by admin");
    }

    @Test
    void theQueueApiStaysOnLoopbackUnlessItHasAToken() throws Exception {
        PosternConfig defaults = parse(MINIMAL);
        assertThat(defaults.admin().queueApi().address()).isEqualTo("127.0.0.1");
        assertThat(defaults.admin().queueApi().port()).isEqualTo(QueueApiConfig.DEFAULT_PORT);
        assertThat(defaults.admin().queueApi().tokenRequired()).isFalse();
        assertThat(defaults.admin().allowedHosts()).containsExactly("localhost");

        ConfigException open = problems(MINIMAL + "admin: { address: 0.0.0.0, queueApi: { address: 0.0.0.0 } }\n");
        assertThat(open.problems()).containsExactly("admin.queueApi.address: '0.0.0.0' is not loopback: the queue API"
                + " then needs a token (admin.queueApi.token: ${file:/path/to/token})");
        assertThat(problems(MINIMAL + "admin: { queueApi: { address: 10.0.0.5, token: short } }\n").problems())
                .containsExactly("admin.queueApi.token: must be at least 16 printable ASCII characters without spaces"
                        + " (the value is not shown)");
        assertThat(problems(MINIMAL + "admin: { queueApi: { port: 9925 } }\n").problems())
                .containsExactly("admin.queueApi.port: 9925 on 127.0.0.1 is already used by admin: the queue API needs"
                        + " a socket of its own");
        assertThat(problems(MINIMAL + "admin: { allowedHosts: [\"evil host\"] }\n").problems())
                .containsExactly("admin.allowedHosts[0]: 'evil host' is not a host name");

        Path token = Files.writeString(dir.resolve("queue-token"), "0123456789abcdef-token\n");
        PosternConfig withToken = parse(MINIMAL + "admin: { queueApi: { address: 0.0.0.0, token: '${file:" + token
                + "}' } }\n");
        assertThat(withToken.admin().queueApi().token()).isEqualTo("0123456789abcdef-token");
        assertThat(withToken.admin().queueApi().connectAddress()).isEqualTo("127.0.0.1");
        assertThat(withToken.admin().toString()).doesNotContain("0123456789abcdef-token");
    }

    @Test
    void invalidYamlNamesTheLine() {
        assertThatThrownBy(() -> parse("listeners: [\n  {kind: mx"))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("test.yaml: not valid YAML at line");
        assertThatThrownBy(() -> parse("- just\n- a list"))
                .hasMessage("test.yaml: the top level must be a mapping of sections");
    }

    @Test
    void duplicateKeysAreAnError() {
        assertThatThrownBy(() -> parse(MINIMAL + "directory: {}\n"))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("not valid YAML");
    }

    @Test
    void cidrMatchesOnlyItsRange() throws Exception {
        Cidr net = Cidr.parse("10.1.0.0/16").value();
        assertThat(net.contains(java.net.InetAddress.getByName("10.1.200.3"))).isTrue();
        assertThat(net.contains(java.net.InetAddress.getByName("10.2.0.1"))).isFalse();
        assertThat(net.contains(java.net.InetAddress.getByName("::1"))).isFalse();
        Cidr host = Cidr.parse("127.0.0.1/32").value();
        assertThat(host.contains(java.net.InetAddress.getByName("127.0.0.2"))).isFalse();
        assertThat(Cidr.parse("127.0.0.1/25").value().contains(java.net.InetAddress.getByName("127.0.0.127"))).isTrue();
    }
}
