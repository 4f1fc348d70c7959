package io.postern.it.foundation;

import static org.assertj.core.api.Assertions.assertThat;

import io.postern.it.support.ExternalProcess;
import io.postern.it.support.Loopback;
import io.postern.it.support.Ports;
import io.postern.it.support.PosternProcess;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code postern serve} with an operator's file: roles pick listeners, SIGTERM drains and exits 0, JSON logs. */
class ServeLifecycleIT {
    @TempDir
    Path dir;

    private Path config(int smtp, int lmtp, int pop3, int admin, int ldap, String format) throws Exception {
        Path home = PosternProcess.homeWithLdif(dir);
        return Files.writeString(home.resolve("postern.yaml"), """
                node: { hostname: node1.example.test, drainTimeout: 2s }
                listeners:
                  - { name: mx, kind: mx, port: %d }
                  - { name: lmtp, kind: lmtp, port: %d }
                  - { name: pop3, kind: pop3, port: %d }
                admin: { port: %d, queueApi: { port: %d } }
                directory:
                  baseDn: dc=example,dc=test
                  embedded: { ldif: ldif/demo.ldif, port: %d }
                domains: [example.test]
                logging: { format: %s }
                """.formatted(smtp, lmtp, pop3, admin, Ports.free(), ldap, format));
    }

    @Test
    void deliveryRoleServesOnlyLmtpAndStopsWithExitZeroOnSigterm() throws Exception {
        int smtp = Ports.free();
        int lmtp = Ports.free();
        int pop3 = Ports.free();
        int admin = Ports.free();
        Path file = config(smtp, lmtp, pop3, admin, Ports.free(), "text");
        try (ExternalProcess node = PosternProcess.start("serve", dir, "serve", "--config", file.toString(),
                "--role", "delivery")) {
            node.awaitLog(Duration.ofSeconds(30), "event=started");
            assertThat(Loopback.accepts("127.0.0.1", lmtp)).isTrue();
            assertThat(Loopback.accepts("127.0.0.1", smtp)).isFalse();
            assertThat(Loopback.accepts("127.0.0.1", pop3)).isFalse();
            assertThat(node.logText()).contains("event=started role=delivery")
                    .contains("listeners=\"lmtp=127.0.0.1:" + lmtp + "/none\"");
            ProcessHandle.of(node.pid()).orElseThrow().destroy();
            assertThat(node.exitCode()).isZero();
            assertThat(node.logText()).contains("event=stopping reason=signal").contains("event=stopped");
        }
    }

    @Test
    void jsonLogFormatWritesOneObjectPerLine() throws Exception {
        int admin = Ports.free();
        Path file = config(Ports.free(), Ports.free(), Ports.free(), admin, Ports.free(), "json");
        try (ExternalProcess node = PosternProcess.start("serve-json", dir, "serve", "--config", file.toString())) {
            node.awaitLog(Duration.ofSeconds(30), "event=started");
            ProcessHandle.of(node.pid()).orElseThrow().destroy();
            ProcessHandle.of(node.pid()).ifPresent(h -> h.onExit().orTimeout(20, TimeUnit.SECONDS).join());
            assertThat(node.exitCode()).isZero();
            assertThat(node.logText().lines().filter(l -> l.contains("event=started")))
                    .singleElement().satisfies(line -> assertThat(line).startsWith("{").endsWith("}")
                            .contains("\"level\":\"INFO\""));
        }
    }

    @Test
    void aBadFileExits2WithEveryProblem() throws Exception {
        Path file = Files.writeString(dir.resolve("bad.yaml"), """
                listeners: [{ kind: mx, port: 0 }]
                directory: { urls: [ldaps://dc1.example.test:99999], baseDn: dc=x }
                spool: { layout: "{domain}" }
                """);
        ExternalProcess.Result result = ExternalProcess.run(dir, Duration.ofSeconds(30),
                PosternProcess.command(dir, "check-config", file.toString()));
        assertThat(result.exitCode()).isEqualTo(2);
        assertThat(result.output()).contains(
                "listeners[0].port: 0 is not a port (1-65535)",
                "directory.urls[0]: 99999 is not a port (1-65535)",
                "spool.layout: '{domain}' must contain {localpart}");
    }
}
