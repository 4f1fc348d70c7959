package io.postern.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

class LoginThrottleConfigTest {
    private static final String BASE = "listeners:\n  - { kind: pop3, port: 2110 }\n"
            + "directory:\n  baseDn: dc=example,dc=test\n  urls: [\"ldap://127.0.0.1:389\"]\n";

    private static PosternConfig parse(String yaml) {
        return new ConfigLoader(new SecretResolver(Map.of())).parse(BASE + yaml, Path.of("/tmp"), "test.yaml");
    }

    private static java.util.List<String> problems(String yaml) {
        try {
            parse(yaml);
        } catch (ConfigException e) {
            return e.problems();
        }
        throw new AssertionError("expected configuration problems");
    }

    @Test
    void defaultsAsDocumented() {
        LoginThrottleConfig d = parse("").auth().throttle();
        assertThat(d).isEqualTo(LoginThrottleConfig.defaults());
        assertThat(d.maxFailuresPerLogin()).isEqualTo(5);
        assertThat(d.delayAfterFailures()).isEqualTo(10);
        assertThat(d.initialDelay()).isEqualTo(Duration.ofMillis(250));
        assertThat(d.maxDelay()).isEqualTo(Duration.ofSeconds(5));
        assertThat(d.maxFailuresPerNetwork()).isEqualTo(200);
        assertThat(d.window()).isEqualTo(Duration.ofMinutes(15));
        assertThat(d.ipv4Prefix()).isEqualTo(32);
        assertThat(d.ipv6Prefix()).isEqualTo(64);
        assertThat(d.maxTracked()).isEqualTo(100_000);
    }

    @Test
    void keysAreRead() {
        LoginThrottleConfig t = parse("""
                auth:
                  throttle: {maxFailuresPerLogin: 3, delayAfterFailures: 7, initialDelay: 1s, maxDelay: 30s,
                             maxFailuresPerNetwork: 50, window: 1h, ipv4Prefix: 24, ipv6Prefix: 56, maxTracked: 5000}
                """).auth().throttle();
        assertThat(t).isEqualTo(new LoginThrottleConfig(3, 7, Duration.ofSeconds(1), Duration.ofSeconds(30), 50,
                Duration.ofHours(1), 24, 56, 5000));
    }

    @Test
    void outOfRangeValuesAndTheOldKeysNameTheirPath() {
        assertThat(problems("""
                auth:
                  maxFailuresPerClient: 5
                  failureWindow: 5m
                  throttle: {maxFailuresPerLogin: 10, maxFailuresPerNetwork: 5, maxDelay: 2m, ipv6Prefix: 129,
                             ipv4Prefix: 4, window: 0s}
                """)).containsExactlyInAnyOrder(
                "auth.maxFailuresPerClient: was replaced by auth.throttle (maxFailuresPerLogin, maxFailuresPerNetwork, "
                        + "window: see docs/configuration.md)",
                "auth.failureWindow: was replaced by auth.throttle (maxFailuresPerLogin, maxFailuresPerNetwork, "
                        + "window: see docs/configuration.md)",
                "auth.throttle.maxFailuresPerNetwork: must be at least maxFailuresPerLogin (10)",
                "auth.throttle.maxDelay: must be at most 1m (clients give up on a silent server)",
                "auth.throttle.ipv6Prefix: 129 is out of range (16-128)",
                "auth.throttle.ipv4Prefix: 4 is out of range (8-32)",
                "auth.throttle.window: must be at least 1s");
        assertThat(problems("auth:\n  throttle: {initialDelay: 10s, maxDelay: 5s}\n"))
                .containsExactly("auth.throttle.initialDelay: must not exceed maxDelay (5000ms)");
    }
}
