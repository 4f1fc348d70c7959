package io.postern.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class QueueConfigTest {
    private static final String LISTENERS = "listeners:\n  - { name: smtp, kind: mx, address: 127.0.0.1, port: 2525 }\n"
            + "directory:\n  urls: [ldap://127.0.0.1:389]\n  baseDn: dc=example,dc=test\n";

    private static PosternConfig parse(String queue) {
        return new ConfigLoader(new SecretResolver(Map.of())).parse(LISTENERS + "queue:\n" + queue, Path.of("/srv/postern"),
                "test.yaml");
    }

    @Test
    void defaults() {
        QueueConfig q = parse("  directory: var/queue\n").queue();
        assertThat(q.directory()).isEqualTo(Path.of("/srv/postern/var/queue"));
        assertThat(q.maxLifetime()).isEqualTo(Duration.ofDays(5));
        assertThat(q.retrySchedule()).isEqualTo(QueueConfig.DEFAULT_RETRY_SCHEDULE);
        assertThat(q.delayNotice()).isZero();
        assertThat(q.commitBatchSize()).isEqualTo(256);
        assertThat(q.postmaster()).isEmpty();
        assertThat(q.retryDelay(1)).isEqualTo(Duration.ofMinutes(1));
        assertThat(q.retryDelay(100)).isEqualTo(Duration.ofHours(4));
    }

    @Test
    void everyKeyIsRead() {
        QueueConfig q = parse("""
                  retrySchedule: [30s, 2m]
                  maxConcurrentDeliveries: 10
                  destinationConcurrency: 3
                  destinationFailureThreshold: 2
                  destinationBackoff: 1m
                  delayNotice: 4h
                  commitBatchSize: 32
                  commitMaxDelay: 2ms
                  commitSyncThreads: 4
                  bounceSizeLimit: 1MiB
                  postmaster: hostmaster@example.test
                """).queue();
        assertThat(q.retrySchedule()).containsExactly(Duration.ofSeconds(30), Duration.ofMinutes(2));
        assertThat(q.maxConcurrentDeliveries()).isEqualTo(10);
        assertThat(q.destinationConcurrency()).isEqualTo(3);
        assertThat(q.destinationFailureThreshold()).isEqualTo(2);
        assertThat(q.destinationBackoff()).isEqualTo(Duration.ofMinutes(1));
        assertThat(q.delayNotice()).isEqualTo(Duration.ofHours(4));
        assertThat(q.commitBatchSize()).isEqualTo(32);
        assertThat(q.commitMaxDelay()).isEqualTo(Duration.ofMillis(2));
        assertThat(q.commitSyncThreads()).isEqualTo(4);
        assertThat(q.bounceSizeLimit()).isEqualTo(1024 * 1024);
        assertThat(q.postmaster()).contains("hostmaster@example.test");
    }

    @Test
    void problemsNameTheirKey() {
        assertThatThrownBy(() -> parse("""
                  retrySchedule: [1m, soon, 0s]
                  maxLifetime: 2h
                  delayNotice: 3h
                  commitBatchSize: 0
                  commitMaxDelay: 1s
                  destinationConcurrency: -1
                  postmaster: not-an-address
                  retries: 5
                """))
                .isInstanceOf(ConfigException.class)
                .satisfies(e -> assertThat(((ConfigException) e).problems()).containsExactlyInAnyOrder(
                        "queue.retrySchedule[1]: 'soon' is not a duration (like 250ms, 30s, 5m, 24h, 5d)",
                        "queue.retrySchedule[2]: '0s' must be longer than 0",
                        "queue.delayNotice: 3h is not shorter than maxLifetime (2h)",
                        "queue.commitBatchSize: 0 is out of range (1-100000)",
                        "queue.commitMaxDelay: 1000ms is too long (at most 100ms: every 250 waits for it)",
                        "queue.destinationConcurrency: -1 is out of range (1-10000)",
                        "queue.postmaster: 'not-an-address' is not a mail address",
                        "queue.retries: unknown key"));
        assertThatThrownBy(() -> parse("  retrySchedule: []\n")).isInstanceOf(ConfigException.class)
                .hasMessageContaining("queue.retrySchedule: needs at least one delay");
    }

    @Test
    void recordRejectsAnEmptySchedule() {
        assertThatThrownBy(() -> new QueueConfig(Path.of("q"), Duration.ofDays(1), List.of(), 1, 1, 1,
                Duration.ofMinutes(1), Duration.ZERO, 1, Duration.ZERO, 1, 1, java.util.Optional.empty()))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
