package io.postern.directory.cache;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.postern.config.CacheConfig;
import io.postern.directory.Directory;
import io.postern.directory.Login;
import io.postern.directory.Lookup;
import io.postern.directory.Recipient;
import io.postern.mail.MailAddress;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Latency of a cached {@code resolve} (the RCPT path once the cache is warm), over {@code users}
 * distinct addresses picked at random, with the default cache configuration (metrics included).
 * SampleTime mode reports p50 and p99. The wrapped directory counts its calls: the teardown
 * prints them (0 after warm-up means every measured call was a hit).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
@Threads(2)
public class CachedResolveBenchmark {
    @Param({"10000"})
    int users;

    private CachingDirectory cache;
    private MailAddress[] addresses;
    private final AtomicLong directoryCalls = new AtomicLong();

    @Setup(Level.Trial)
    public void setUp() {
        Directory directory = new Directory() {
            @Override
            public Lookup<Boolean> isLocalDomain(String domain) {
                directoryCalls.incrementAndGet();
                return Lookup.found(true);
            }

            @Override
            public Lookup<Recipient> resolve(MailAddress address) {
                directoryCalls.incrementAndGet();
                return Lookup.found(new Recipient.Mailbox(address, "uid=" + address.localPart() + ",dc=example,dc=test",
                        Optional.empty(), OptionalLong.empty(), false));
            }

            @Override
            public Lookup<Boolean> maySendAs(Login.Identity identity, MailAddress sender) {
                return Lookup.found(true);
            }

            @Override
            public Login authenticate(String login, String password) {
                return new Login.Failed(Login.Reason.UNKNOWN_USER);
            }
        };
        cache = CachingDirectory.wrap(directory, CacheConfig.defaults(), new SimpleMeterRegistry());
        addresses = new MailAddress[users];
        for (int i = 0; i < users; i++) {
            addresses[i] = new MailAddress("user" + i, "example.test");
            cache.resolve(addresses[i]);
        }
        directoryCalls.set(0);
    }

    @Benchmark
    public Lookup<Recipient> cachedResolve() {
        return cache.resolve(addresses[ThreadLocalRandom.current().nextInt(addresses.length)]);
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        System.out.println("directory calls during measurement: " + directoryCalls.get());
        cache.close();
    }
}
