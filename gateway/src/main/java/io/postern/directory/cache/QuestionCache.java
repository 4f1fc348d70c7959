package io.postern.directory.cache;

import com.github.benmanes.caffeine.cache.AsyncCacheLoader;
import com.github.benmanes.caffeine.cache.AsyncLoadingCache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.Expiry;
import com.github.benmanes.caffeine.cache.RemovalCause;
import com.github.benmanes.caffeine.cache.Ticker;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.postern.config.CacheConfig;
import io.postern.directory.Lookup;
import io.postern.directory.NotInMemory;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Executor;
import java.util.function.BiPredicate;
import java.util.function.Function;
import java.util.function.Predicate;

/**
 * The cache of one directory question (domain, resolve, send-as): fresh answers from memory,
 * refresh-ahead for hot keys, stale positive answers while the directory is down, TempFail for
 * what was never answered. Thread-safe.
 *
 * <p>Entries live in Caffeine for {@code maxStale} (positive) or {@code ttl.negative} (negative);
 * "fresh" is decided here from the time the answer was loaded, so an entry past its TTL is kept
 * only to be served while the directory is unreachable.
 */
final class QuestionCache<K, V> {

    /** What a load produced: an answer with its load time, or a failure (expires at once). */
    private sealed interface Loaded<V> {
    }

    private record Answer<V>(V value, long loadedAt, boolean negative) implements Loaded<V> {
    }

    private record Failure<V>(String reason) implements Loaded<V> {
    }

    private final String question;
    private final Function<K, Lookup<V>> loader;
    private final Predicate<V> isNegative;
    private final Ticker ticker;
    private final DirectoryHealth health;
    private final long positiveTtl;
    private final long negativeTtl;
    private final long positiveLifetime;
    private final AsyncLoadingCache<K, Loaded<V>> cache;
    private final Executor loads;
    private final Counter hits;
    private final Counter misses;
    private final Counter stale;
    private final Counter tempFails;
    private final MeterRegistry registry;

    QuestionCache(String question, CacheConfig config, Function<K, Lookup<V>> loader, Predicate<V> isNegative,
                  Ticker ticker, Executor executor, DirectoryHealth health, MeterRegistry registry) {
        this.question = question;
        this.loader = loader;
        this.isNegative = isNegative;
        this.ticker = ticker;
        this.health = health;
        this.registry = registry;
        this.positiveTtl = config.positiveTtl().toNanos();
        this.negativeTtl = config.negativeTtl().toNanos();
        this.positiveLifetime = Math.max(positiveTtl, config.maxStale().toNanos());
        this.loads = executor;
        // Loads and reloads run on {@code executor} (the Loader below); Caffeine's own upkeep (draining
        // its read buffers, expiry, removal notices: short and never blocking) runs on the reading
        // thread, which would otherwise wake a background thread every few reads.
        Caffeine<K, Loaded<V>> builder = Caffeine.newBuilder()
                .maximumSize(config.maxSize())
                .ticker(ticker)
                .executor(Runnable::run)
                .<K, Loaded<V>>removalListener((key, value, cause) -> removed(value, cause))
                .expireAfter(new Lifetime());
        if (!config.refreshAhead().isZero()) {
            builder.refreshAfterWrite(config.refreshAhead());
        }
        this.cache = builder.buildAsync(new Loader());
        this.hits = counter("hit");
        this.misses = counter("miss");
        this.stale = counter("stale");
        this.tempFails = counter("tempfail");
        Gauge.builder("postern.directory.cache.size", cache, c -> c.synchronous().estimatedSize())
                .tag("question", question).description("entries held, fresh or kept for stale serving")
                .register(registry);
    }

    private Counter counter(String result) {
        return Counter.builder("postern.directory.cache.requests").tag("question", question).tag("result", result)
                .description("directory questions answered by the cache, by outcome").register(registry);
    }

    /** The answer to {@code key}: fresh from memory, loaded, or stale while the directory is down. */
    Lookup<V> get(K key) {
        CompletableFuture<Loaded<V>> present = cache.getIfPresent(key);
        if (present == null) {
            misses.increment();
            if (!health.mayAsk()) {
                tempFails.increment();
                return Lookup.tempFail("directory unreachable (" + health.detail() + ")");
            }
            return answer(join(cache.get(key)));
        }
        Loaded<V> loaded = join(present);
        if (!(loaded instanceof Answer<V> answer)) {
            return answer(loaded);
        }
        if (ticker.read() - answer.loadedAt() < ttl(answer)) {
            hits.increment();
            return Lookup.found(answer.value());
        }
        // Past its TTL: kept only for an outage. While the directory is known to be down, do not
        // make the caller wait for it: serve the stale answer and retry in the background.
        if (health.isDown()) {
            if (health.mayAsk()) {
                cache.synchronous().refresh(key);
            }
            stale.increment();
            return Lookup.found(answer.value());
        }
        misses.increment();
        Loaded<V> reloaded = join(cache.synchronous().refresh(key));
        if (reloaded instanceof Answer<V> fresh && fresh.loadedAt() > answer.loadedAt()) {
            return Lookup.found(fresh.value());
        }
        stale.increment();
        return Lookup.found(answer.value());
    }

    /**
     * The answer {@link #get} would serve from memory without asking: a loaded answer within its
     * TTL (a hit). Anything else (absent, loading, failed, past its TTL) throws
     * {@link NotInMemory}, and {@link #get} decides off the event loop. Never waits.
     */
    Lookup<V> fresh(K key) {
        CompletableFuture<Loaded<V>> present = cache.getIfPresent(key);
        if (present != null && present.isDone() && !present.isCompletedExceptionally()
                && present.getNow(null) instanceof Answer<V> answer && ticker.read() - answer.loadedAt() < ttl(answer)) {
            hits.increment();
            return Lookup.found(answer.value());
        }
        throw NotInMemory.INSTANCE;
    }

    private Lookup<V> answer(Loaded<V> loaded) {
        return switch (loaded) {
            case Answer<V> a -> Lookup.found(a.value());
            case Failure<V> f -> {
                tempFails.increment();
                yield Lookup.tempFail(f.reason());
            }
        };
    }

    private Loaded<V> join(CompletableFuture<Loaded<V>> future) {
        try {
            return future.join();
        } catch (CompletionException | CancellationException e) {
            // The loader never throws on purpose (TempFail is a value); anything else is a bug in
            // the adapter, and still must not turn into a permanent answer.
            return new Failure<>("directory lookup failed: " + e.getCause());
        }
    }

    /** Forgets every entry whose key or (loaded) value matches; in-flight loads are dropped by key only. */
    void invalidateIf(BiPredicate<K, V> affected) {
        Map<K, CompletableFuture<Loaded<V>>> map = cache.asMap();
        map.entrySet().removeIf(e -> {
            CompletableFuture<Loaded<V>> f = e.getValue();
            V value = f.isDone() && !f.isCompletedExceptionally() && f.join() instanceof Answer<V> a ? a.value() : null;
            return affected.test(e.getKey(), value);
        });
    }

    void invalidateAll() {
        cache.synchronous().invalidateAll();
    }

    /**
     * Makes every answer past its TTL: each is asked again before it is served, but a positive
     * one stays servable while the directory is down (up to {@code maxStale} after it was
     * loaded); negative answers go. After a gap in change tracking the answers may be out of
     * date, and emptying the cache instead would turn a directory that flaps into 451s for
     * every recipient.
     */
    void markAllStale() {
        long now = ticker.read();
        Map<K, CompletableFuture<Loaded<V>>> map = cache.asMap();
        for (Map.Entry<K, CompletableFuture<Loaded<V>>> entry : map.entrySet()) {
            CompletableFuture<Loaded<V>> f = entry.getValue();
            if (f.isDone() && !f.isCompletedExceptionally() && f.join() instanceof Answer<V> a) {
                long stale = Math.min(a.loadedAt(), now - ttl(a) - 1);
                if (a.negative()) {
                    map.remove(entry.getKey(), f);
                } else if (stale != a.loadedAt()) {
                    map.replace(entry.getKey(), f,
                            CompletableFuture.completedFuture(new Answer<>(a.value(), stale, false)));
                }
            }
        }
    }

    long size() {
        return cache.synchronous().estimatedSize();
    }

    /** Runs pending maintenance (expiry, size eviction); for tests and the size gauge. */
    void cleanUp() {
        cache.synchronous().cleanUp();
    }

    private long ttl(Answer<V> answer) {
        return answer.negative() ? negativeTtl : positiveTtl;
    }

    private Loaded<V> load(K key) {
        Lookup<V> result = loader.apply(key);
        return switch (result) {
            case Lookup.Found<V> found -> {
                health.up();
                yield new Answer<>(found.value(), ticker.read(), isNegative.test(found.value()));
            }
            // Not health.down(): a TempFail may be one bad entry (two entries with one address),
            // not an outage. "Down" comes from change tracking and the readiness probe.
            case Lookup.TempFail<V> fail -> new Failure<>(fail.reason());
        };
    }

    private void removed(Loaded<V> value, RemovalCause cause) {
        if (!(value instanceof Answer<V>) || cause == RemovalCause.REPLACED) {
            return;
        }
        Counter.builder("postern.directory.cache.evictions").tag("question", question)
                .tag("cause", cause.name().toLowerCase(Locale.ROOT))
                .description("entries removed: size (bound reached), expired, explicit (a change or a resync)")
                .register(registry).increment();
    }

    private final class Loader implements AsyncCacheLoader<K, Loaded<V>> {
        @Override
        public CompletableFuture<Loaded<V>> asyncLoad(K key, Executor upkeep) {
            return CompletableFuture.supplyAsync(() -> load(key), loads);
        }

        /** A failed reload keeps the old answer (it stays servable while stale); a real answer replaces it. */
        @Override
        public CompletableFuture<Loaded<V>> asyncReload(K key, Loaded<V> old, Executor upkeep) {
            return CompletableFuture.supplyAsync(() -> {
                Loaded<V> fresh = load(key);
                return fresh instanceof Failure<V> && old instanceof Answer<V> ? old : fresh;
            }, loads);
        }
    }

    /** Positive answers live for maxStale, negative ones for their TTL, failures not at all. */
    private final class Lifetime implements Expiry<K, Loaded<V>> {
        @Override
        public long expireAfterCreate(K key, Loaded<V> value, long now) {
            return remaining(value, now);
        }

        @Override
        public long expireAfterUpdate(K key, Loaded<V> value, long now, long current) {
            return remaining(value, now);
        }

        @Override
        public long expireAfterRead(K key, Loaded<V> value, long now, long current) {
            return current;
        }

        private long remaining(Loaded<V> value, long now) {
            return switch (value) {
                case Answer<V> a -> Math.max(0, a.loadedAt() + (a.negative() ? negativeTtl : positiveLifetime) - now);
                case Failure<V> f -> 0;
            };
        }
    }

    @Override
    public String toString() {
        return "QuestionCache[" + Objects.requireNonNull(question) + "]";
    }
}
