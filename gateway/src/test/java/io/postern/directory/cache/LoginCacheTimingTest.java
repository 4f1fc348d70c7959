package io.postern.directory.cache;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.postern.config.CacheConfig;
import io.postern.config.ChangeTracking;
import io.postern.directory.Login;
import java.time.Duration;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * A failed login costs one slow hash whether the login was remembered, never seen or unknown
 * (issue 19, item 9): otherwise a wrong password for a user who logged in lately takes longer and
 * tells that the login exists. Counted, not timed.
 */
class LoginCacheTimingTest {
    private final CountingDirectory ldap = new CountingDirectory();
    private final ExecutorService executor = Executors.newVirtualThreadPerTaskExecutor();
    private final CachingDirectory cache = CachingDirectory.wrap(ldap, new CacheConfig(Duration.ofMinutes(10),
            Duration.ofMinutes(1), Duration.ofMinutes(2), 1000, Duration.ofMinutes(5), Duration.ofHours(24),
            ChangeTracking.OFF, Duration.ofSeconds(30), Duration.ofSeconds(30), Duration.ZERO),
            new SimpleMeterRegistry(), new FakeTicker(), executor);

    LoginCacheTimingTest() {
        ldap.addUser("alice", "alice@example.test", "uid=alice,ou=people,dc=example,dc=test", "alice-pw");
        ldap.addUser("bob", "bob@example.test", "uid=bob,ou=people,dc=example,dc=test", "bob-pw");
    }

    @AfterEach
    void stop() {
        executor.close();
    }

    private long hashes(String login, String password) {
        long before = PasswordHash.DERIVATIONS.sum();
        assertThat(cache.authenticate(login, password)).isInstanceOf(Login.Failed.class);
        return PasswordHash.DERIVATIONS.sum() - before;
    }

    @Test
    void everyFailedLoginPaysOneHash() {
        assertThat(cache.authenticate("alice", "alice-pw")).isInstanceOf(Login.Succeeded.class);
        assertThat(hashes("alice", "wrong")).as("remembered login, wrong password").isEqualTo(1);
        assertThat(hashes("bob", "wrong")).as("known login, not remembered").isEqualTo(1);
        assertThat(hashes("nobody", "wrong")).as("unknown login").isEqualTo(1);
    }
}
