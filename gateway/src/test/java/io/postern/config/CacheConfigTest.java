package io.postern.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CacheConfigTest {
    private static final String MINIMAL = """
            listeners:
              - { kind: mx, port: 2525 }
            directory:
              urls: [ldap://127.0.0.1:389]
              baseDn: dc=example,dc=com
            """;

    @TempDir
    Path dir;

    private final ConfigLoader loader = new ConfigLoader(new SecretResolver(Map.of()));

    @Test
    void defaultsWithoutACacheSection() {
        CacheConfig cache = loader.parse(MINIMAL, dir, "t.yaml").cache();
        assertThat(cache).isEqualTo(CacheConfig.defaults());
        assertThat(cache.maxStale()).isEqualTo(Duration.ofHours(24));
        assertThat(cache.changeTracking()).isEqualTo(ChangeTracking.AUTO);
    }

    @Test
    void readsEveryKey() {
        CacheConfig cache = loader.parse(MINIMAL + """
                cache:
                  ttl: { positive: 20m, negative: 30s, login: 0s }
                  maxSize: 500
                  refreshAhead: 0s
                  maxStale: 2h
                  changeTracking: dirsync
                  pollInterval: 5s
                  reconnectMaxBackoff: 10s
                  outageProbeInterval: 250ms
                  reconcileInterval: 2s
                """, dir, "t.yaml").cache();
        assertThat(cache).isEqualTo(new CacheConfig(Duration.ofMinutes(20), Duration.ofSeconds(30), Duration.ZERO, 500,
                Duration.ZERO, Duration.ofHours(2), ChangeTracking.DIRSYNC, Duration.ofSeconds(5),
                Duration.ofSeconds(10), Duration.ofMillis(250), Duration.ofSeconds(2)));
        assertThat(CacheConfig.defaults().reconcileInterval()).isEqualTo(Duration.ofMinutes(1));
        assertThat(loader.parse(MINIMAL + "cache: { reconcileInterval: 0s }\n", dir, "t.yaml").cache().reconcileInterval())
                .isZero();
    }

    @Test
    void reportsEachProblemWithItsPath() {
        try {
            loader.parse(MINIMAL + """
                    cache:
                      ttl: { positive: 1m, negative: 0s }
                      maxSize: 20000000
                      refreshAhead: 5m
                      changeTracking: psearch
                      pollInterval: 10ms
                      reconcileInterval: 500ms
                      sizeLimit: 3
                    """, dir, "t.yaml");
        } catch (ConfigException e) {
            assertThat(e.problems()).containsExactlyInAnyOrder(
                    "cache.ttl.negative: must be more than 0",
                    "cache.maxSize: 20000000 is out of range (1-10000000)",
                    "cache.refreshAhead: PT5M must be shorter than ttl.positive (PT1M), or 0 to turn refresh-ahead off",
                    "cache.changeTracking: 'psearch' is not one of auto, syncrepl, dirsync, notification, poll, off",
                    "cache.pollInterval: must be at least 100ms",
                    "cache.reconcileInterval: must be 0s (off) or at least 1s",
                    "cache.sizeLimit: unknown key");
            return;
        }
        throw new AssertionError("expected problems");
    }
}
