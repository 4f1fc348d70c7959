package io.postern.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

class DeliveryConfigTest {
    private static final Path BASE = Path.of("/srv/postern");
    private static final String LISTENERS = "listeners:\n  - { name: lmtp, kind: lmtp, address: 127.0.0.1, port: 24 }\n"
            + "directory: { urls: [\"ldap://127.0.0.1:389\"], baseDn: \"dc=example,dc=test\" }\n";

    private static PosternConfig parse(String yaml) {
        return new ConfigLoader(new SecretResolver(Map.of())).parse(LISTENERS + yaml, BASE, "test.yaml");
    }

    @Test
    void defaults() {
        PosternConfig config = parse("");
        assertThat(config.spool()).isEqualTo(new SpoolConfig(BASE.resolve("var/spool"), SpoolFormat.MAILDIR,
                "{domain}/{localpart}", Duration.ofSeconds(30), Duration.ofMinutes(10)));
        assertThat(config.spool().sync()).isEqualTo(SpoolSync.AUTO);
        assertThat(config.delivery()).isEqualTo(new DeliveryConfig(10, 1000, 4, BASE.resolve("var/delivery-tmp"), 256 * 1024));
    }

    @Test
    void everyKeyIsRead() {
        PosternConfig config = parse("""
                spool: { root: /mail, format: mbox, layout: "{localpart}", lockTimeout: 5s, staleLockAge: 2m, sync: file }
                delivery: { maxExpansionDepth: 3, maxExpandedRecipients: 50, threads: 2, tempDirectory: tmp/lmtp,
                            memoryThreshold: 64KiB }
                """);
        assertThat(config.spool()).isEqualTo(new SpoolConfig(Path.of("/mail"), SpoolFormat.MBOX, "{localpart}",
                Duration.ofSeconds(5), Duration.ofMinutes(2)).withSync(SpoolSync.FILE));
        assertThat(parse("spool: { sync: filesystem }\n").spool().sync()).isEqualTo(SpoolSync.FILESYSTEM);
        assertThat(config.delivery()).isEqualTo(new DeliveryConfig(3, 50, 2, BASE.resolve("tmp/lmtp"), 64 * 1024));
    }

    @Test
    void limitsOutOfRangeAreReportedWithTheirPath() {
        assertThatThrownBy(() -> parse("""
                spool: { layout: "../{localpart}", lockTimeout: 1m, staleLockAge: 30s, sync: fdatasync }
                delivery: { maxExpansionDepth: 0, maxExpandedRecipients: 100001, threads: 0, fsync: false,
                            memoryThreshold: 17MiB }
                """)).isInstanceOfSatisfying(ConfigException.class, e -> assertThat(e.problems()).containsExactlyInAnyOrder(
                "spool.layout: '../{localpart}' must be relative to spool.root and must not contain '..'",
                "spool.staleLockAge: PT30S must be longer than lockTimeout (PT1M)",
                "spool.sync: 'fdatasync' is not one of auto, file, filesystem",
                "delivery.maxExpansionDepth: 0 is out of range (1-100)",
                "delivery.maxExpandedRecipients: 100001 is out of range (1-100000)",
                "delivery.threads: 0 is out of range (1-256)",
                "delivery.memoryThreshold: 17825792 bytes is more than 16MiB (memory per LMTP session)",
                "delivery.fsync: unknown key"));
    }
}
