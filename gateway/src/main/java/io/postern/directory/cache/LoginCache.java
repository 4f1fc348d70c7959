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
import java.util.UUID;
import java.util.function.BiFunction;

/**
 * Remembered successful logins: the login name, the identity, and a salted keyed hash of the
 * password ({@link PasswordHash}), never the password. Every login that is not a hit costs one
 * hash check, remembered or not, so that its time does not tell a recent user from an unknown
 * one. A failure is never remembered; a wrong
 * password against a remembered login asks the directory again. Forgotten when change tracking
 * reports a change of the entry's DN. Thread-safe.
 */
final class LoginCache {
    private record Remembered(Login.Identity identity, String dn, PasswordHash hash, long at) {
    }

    /** What a password is checked against when no login is remembered: the same cost, never a match that counts. */
    private static final PasswordHash DECOY = PasswordHash.of(UUID.randomUUID().toString());

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
        // Exactly one hash on every path, against a decoy when nothing is remembered: a wrong
        // password for a login that succeeded lately must not take longer than one for a login
        // never seen or unknown (the time would tell that the login exists and is in use).
        boolean matches = (remembered != null ? remembered.hash() : DECOY).matches(password) && remembered != null;
        boolean fresh = remembered != null && ticker.read() - remembered.at() < ttl;
        if (fresh && matches) {
            hits.increment();
            return new Login.Succeeded(remembered.identity());
        }
        misses.increment();
        if (!health.mayAsk()) {
            if (matches) {
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
                if (matches) {
                    // The password that used to work no longer does: the directory says so, believe it.
                    cache.invalidate(key);
                }
            }
            case Login.TempFail t -> {
                if (matches) {
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
