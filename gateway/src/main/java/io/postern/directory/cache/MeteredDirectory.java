package io.postern.directory.cache;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.postern.config.Cidr;
import io.postern.directory.Directory;
import io.postern.directory.Login;
import io.postern.directory.Lookup;
import io.postern.directory.NetworkSource;
import io.postern.directory.SenderRights;
import io.postern.directory.SenderRightsQuestion;
import io.postern.mail.MailAddress;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * Counts and times every question that reaches the wrapped directory (the LDAP adapter): these
 * are the round trips the cache exists to avoid. Timer {@code postern.directory.lookups},
 * tagged {@code operation} (domain, resolve, maySendAs, senderRights,
 * trustedNetworks, login) and {@code outcome} (found,
 * tempfail). Thread-safe.
 */
public final class MeteredDirectory implements Directory {
    private final Directory delegate;
    private final MeterRegistry registry;

    public MeteredDirectory(Directory delegate, MeterRegistry registry) {
        this.delegate = delegate;
        this.registry = registry;
    }

    @Override
    public Lookup<Boolean> isLocalDomain(String domain) {
        return timed("domain", () -> delegate.isLocalDomain(domain));
    }

    @Override
    public Lookup<io.postern.directory.Recipient> resolve(MailAddress address) {
        return timed("resolve", () -> delegate.resolve(address));
    }

    @Override
    public Lookup<Boolean> maySendAs(Login.Identity identity, MailAddress sender) {
        return timed("maySendAs", () -> delegate.maySendAs(identity, sender));
    }

    @Override
    public Lookup<SenderRights> senderRights(Login.Identity identity, SenderRightsQuestion question) {
        return timed("senderRights", () -> delegate.senderRights(identity, question));
    }

    @Override
    public Lookup<List<Cidr>> trustedNetworks(NetworkSource source) {
        return timed("trustedNetworks", () -> delegate.trustedNetworks(source));
    }

    @Override
    public Login authenticate(String login, String password) {
        long start = System.nanoTime();
        Login answer = delegate.authenticate(login, password);
        String outcome = answer instanceof Login.TempFail ? "tempfail" : "found";
        timer("login", outcome).record(System.nanoTime() - start, TimeUnit.NANOSECONDS);
        return answer;
    }

    private <T> Lookup<T> timed(String operation, Supplier<Lookup<T>> call) {
        long start = System.nanoTime();
        Lookup<T> answer = call.get();
        String outcome = answer instanceof Lookup.TempFail ? "tempfail" : "found";
        timer(operation, outcome).record(System.nanoTime() - start, TimeUnit.NANOSECONDS);
        return answer;
    }

    private Timer timer(String operation, String outcome) {
        return Timer.builder("postern.directory.lookups").tag("operation", operation).tag("outcome", outcome)
                .description("questions sent to the directory itself (cache misses and refreshes), with latency")
                .register(registry);
    }
}
