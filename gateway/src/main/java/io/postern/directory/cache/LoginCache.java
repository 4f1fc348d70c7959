package io.postern.directory.cache;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.RemovalCause;
import com.github.benmanes.caffeine.cache.Ticker;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.postern.config.CacheConfig;
import io.postern.directory.DirectoryChange;
import io.postern.directory.Login;
import java.time.Duration;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.function.BiFunction;

/**
 * Remembered successful logins: the login name, the identity, and a salted slow hash of the
 * password ({@link PasswordHash}), never the password. A failure is never remembered; a wrong
 * password against a remembered login asks the directory again. Forgotten when change tracking
 * reports a change of the entry's DN. Thread-safe.
 */
final class LoginCache {
    private record Remembered(Login.Identity identity, String dn, PasswordHash hash, long at) {
    }

    private final Cache<String, Remembered> cache;
    private final BiFunction<String, String, Login> directory;
    private final Ticker ticker;
    private final DirectoryHealth health;
    private final long ttl;
    private final boolean enabled;
    private final Counter hits;
    private final Counter misses;
    private final Counter stale;
    private final Counter tempFails;

    LoginCache(CacheConfig config, BiFunction<String, String, Login> directory, Ticker ticker, DirectoryHealth health,
               MeterRegistry registry) {
        this.directory = directory;
        this.ticker = ticker;
        this.health = health;
        this.ttl = config.loginTtl().toNanos();
        this.enabled = !config.loginTtl().isZero();
        Duration lifetime = config.maxStale().compareTo(config.loginTtl()) > 0 ? config.maxStale() : config.loginTtl();
        this.cache = Caffeine.newBuilder().maximumSize(config.maxSize()).ticker(ticker)
                .expireAfterWrite(lifetime.isZero() ? Duration.ofNanos(1) : lifetime)
                .removalListener((String k, Remembered v, RemovalCause cause) -> {
                    if (cause != RemovalCause.REPLACED) {
                        Counter.builder("postern.directory.cache.evictions").tag("question", "login")
                                .tag("cause", cause.name().toLowerCase(Locale.ROOT)).register(registry).increment();
                    }
                })
                .build();
        this.hits = counter(registry, "hit");
        this.misses = counter(registry, "miss");
        this.stale = counter(registry, "stale");
        this.tempFails = counter(registry, "tempfail");
    }

    private static Counter counter(MeterRegistry registry, String result) {
        return Counter.builder("postern.directory.cache.requests").tag("question", "login").tag("result", result)
                .register(registry);
    }

    Login authenticate(String login, String password) {
        if (!enabled || password.isEmpty()) {
            return directory.apply(login, password);
        }
        String key = login.toLowerCase(Locale.ROOT);
        Remembered remembered = cache.getIfPresent(key);
        // The slow hash is checked only where its answer is used: a fresh entry, or an outage or a
        // refusal below. An expired entry with the directory up goes straight to the directory,
        // paying one hash (the new one) instead of two.
        boolean fresh = remembered != null && ticker.read() - remembered.at() < ttl;
        if (fresh && remembered.hash().matches(password)) {
            hits.increment();
            return new Login.Succeeded(remembered.identity());
        }
        misses.increment();
        if (!health.mayAsk()) {
            if (remembered != null && remembered.hash().matches(password)) {
                stale.increment();
                return new Login.Succeeded(remembered.identity());
            }
            tempFails.increment();
            return new Login.TempFail("directory unreachable (" + health.detail() + ")");
        }
        Login answer = directory.apply(login, password);
        switch (answer) {
            case Login.Succeeded s -> {
                health.up();
                cache.put(key, new Remembered(s.identity(), DirectoryChange.normalizeDn(s.identity().dn()),
                        PasswordHash.of(password), ticker.read()));
            }
            case Login.Failed f -> {
                health.up();
                if (remembered != null && remembered.hash().matches(password)) {
                    // The password that used to work no longer does: the directory says so, believe it.
                    cache.invalidate(key);
                }
            }
            case Login.TempFail t -> {
                if (remembered != null && remembered.hash().matches(password)) {
                    stale.increment();
                    return new Login.Succeeded(remembered.identity());
                }
                tempFails.increment();
            }
        }
        return answer;
    }

    void invalidate(Set<String> dns) {
        cache.asMap().values().removeIf(r -> dns.contains(r.dn()));
    }

    void invalidateAll() {
        cache.invalidateAll();
    }

    long size() {
        return cache.estimatedSize();
    }

    /** The stored hash of a remembered login, for tests. */
    Optional<byte[]> storedHash(String login) {
        return Optional.ofNullable(cache.getIfPresent(login.toLowerCase(Locale.ROOT)))
                .map(r -> r.hash().hashBytes());
    }
}
