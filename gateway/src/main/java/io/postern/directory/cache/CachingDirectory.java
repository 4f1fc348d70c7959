package io.postern.directory.cache;

import com.github.benmanes.caffeine.cache.Ticker;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.postern.config.CacheConfig;
import io.postern.config.Cidr;
import io.postern.directory.Directory;
import io.postern.directory.DirectoryChange;
import io.postern.directory.DirectoryChangeListener;
import io.postern.directory.Login;
import io.postern.directory.Lookup;
import io.postern.directory.NetworkSource;
import io.postern.directory.NotInMemory;
import io.postern.directory.Recipient;
import io.postern.directory.SenderRights;
import io.postern.directory.SenderRightsQuestion;
import io.postern.mail.MailAddress;
import io.postern.net.Threads;
import io.postern.observability.ReadinessCheck;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The directory as the rest of Postern sees it: every question answered from a Caffeine cache in
 * front of another {@link Directory} (the LDAP adapter), kept fresh by change tracking
 * ({@link DirectoryChangeListener}), by refresh-ahead and, as a safety net, by TTLs. See
 * docs/cache.md. Thread-safe; {@link #close()} stops the background reload threads.
 */
public final class CachingDirectory implements Directory, DirectoryChangeListener, AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(CachingDirectory.class);

    /** A send-as question; the identity's DN is kept normalised for invalidation. */
    private record SendAs(Login.Identity identity, String dn, String senderKey) {
    }

    /** A sender-rights question; the DN kept normalised for invalidation. */
    private record Rights(Login.Identity identity, String dn, SenderRightsQuestion question) {
    }

    /** A trusted-networks question; the entry's DN kept normalised for invalidation. */
    private record Networks(NetworkSource source, String dn) {
    }

    private final Set<String> configuredDomains;
    private final QuestionCache<String, Boolean> domains;
    private final QuestionCache<MailAddress, Recipient> recipients;
    private final QuestionCache<SendAs, Boolean> sendAs;
    private final QuestionCache<Rights, SenderRights> rights;
    private final QuestionCache<Networks, List<Cidr>> networks;
    private final LoginCache logins;
    private final DirectoryHealth health;
    private final ExecutorService ownExecutor;
    private final MeterRegistry registry;
    private final Directory inMemory = new InMemory();

    private CachingDirectory(Directory delegate, CacheConfig config, Set<String> configuredDomains,
                             MeterRegistry registry, Ticker ticker, Executor executor, ExecutorService ownExecutor) {
        Objects.requireNonNull(delegate);
        this.configuredDomains = configuredDomains.stream().map(d -> d.toLowerCase(Locale.ROOT))
                .collect(java.util.stream.Collectors.toUnmodifiableSet());
        this.registry = registry;
        this.ownExecutor = ownExecutor;
        this.health = new DirectoryHealth(registry, config.outageProbeInterval(), ticker::read);
        Directory metered = new MeteredDirectory(delegate, registry);
        this.domains = new QuestionCache<>("domain", config, metered::isLocalDomain, ours -> !ours, ticker, executor,
                health, registry);
        this.recipients = new QuestionCache<>("resolve", config, metered::resolve, r -> r instanceof Recipient.Unknown,
                ticker, executor, health, registry);
        this.sendAs = new QuestionCache<>("maySendAs", config,
                q -> metered.maySendAs(q.identity(), MailAddress.parse(q.senderKey()).orElseThrow()),
                allowed -> !allowed, ticker, executor, health, registry);
        this.rights = new QuestionCache<>("senderRights", config, q -> metered.senderRights(q.identity(), q.question()),
                r -> !r.mayRelay(), ticker, executor, health, registry);
        this.networks = new QuestionCache<>("trustedNetworks", config, q -> metered.trustedNetworks(q.source()),
                List::isEmpty, ticker, executor, health, registry);
        this.logins = new LoginCache(config, metered::authenticate, ticker, health, registry);
    }

    /** A cache in front of {@code delegate}; background reloads run on virtual threads. */
    public static CachingDirectory wrap(Directory delegate, CacheConfig config, MeterRegistry registry) {
        return wrap(delegate, config, Set.of(), registry);
    }

    /**
     * A cache in front of {@code delegate} that answers "local" for {@code configuredDomains}
     * (the configuration's {@code domains}) without asking: the SMTP front end accepts mail for
     * them without asking, so routing must not need the directory to agree during an outage.
     */
    public static CachingDirectory wrap(Directory delegate, CacheConfig config, Set<String> configuredDomains,
                                        MeterRegistry registry) {
        ExecutorService executor = Threads.virtual("directory-cache");
        return new CachingDirectory(delegate, config, configuredDomains, registry, Ticker.systemTicker(), executor,
                executor);
    }

    /** For tests: a given clock and executor (a same-thread executor makes refreshes deterministic). */
    static CachingDirectory wrap(Directory delegate, CacheConfig config, MeterRegistry registry, Ticker ticker,
                                 Executor executor) {
        return wrap(delegate, config, Set.of(), registry, ticker, executor);
    }

    static CachingDirectory wrap(Directory delegate, CacheConfig config, Set<String> configuredDomains,
                                 MeterRegistry registry, Ticker ticker, Executor executor) {
        return new CachingDirectory(delegate, config, configuredDomains, registry, ticker, executor, null);
    }

    @Override
    public Lookup<Boolean> isLocalDomain(String domain) {
        String key = domain.toLowerCase(Locale.ROOT);
        if (configuredDomains.contains(key)) {
            return Lookup.found(true);
        }
        return domains.get(key);
    }

    @Override
    public Lookup<Recipient> resolve(MailAddress address) {
        return recipients.get(recipientKey(address));
    }

    @Override
    public Lookup<Boolean> maySendAs(Login.Identity identity, MailAddress sender) {
        return sendAs.get(sendAsKey(identity, sender));
    }

    @Override
    public Lookup<SenderRights> senderRights(Login.Identity identity, SenderRightsQuestion question) {
        if (!question.asksDirectory()) {
            return Lookup.found(SenderRights.UNRESTRICTED);
        }
        return rights.get(rightsKey(identity, question));
    }

    @Override
    public Lookup<List<Cidr>> trustedNetworks(NetworkSource source) {
        return networks.get(networksKey(source));
    }

    /** Keyed by the folded form: Alice@x and alice@x are one directory entry. */
    private static MailAddress recipientKey(MailAddress address) {
        return new MailAddress(address.localPart().toLowerCase(Locale.ROOT), address.domain());
    }

    private static SendAs sendAsKey(Login.Identity identity, MailAddress sender) {
        return new SendAs(identity, DirectoryChange.normalizeDn(identity.dn()), sender.key());
    }

    private static Rights rightsKey(Login.Identity identity, SenderRightsQuestion question) {
        return new Rights(identity, DirectoryChange.normalizeDn(identity.dn()), question);
    }

    private static Networks networksKey(NetworkSource source) {
        return new Networks(source, DirectoryChange.normalizeDn(source.dn()));
    }

    @Override
    public Login authenticate(String login, String password) {
        return logins.authenticate(login, password);
    }

    /** The fresh answers, without waiting: what a session's event loop may use (a login never is). */
    @Override
    public Optional<Directory> inMemory() {
        return Optional.of(inMemory);
    }

    /** The questions of {@link CachingDirectory}, answered only from fresh entries; anything else {@link NotInMemory}. */
    private final class InMemory implements Directory {
        @Override
        public Lookup<Boolean> isLocalDomain(String domain) {
            String key = domain.toLowerCase(Locale.ROOT);
            return configuredDomains.contains(key) ? Lookup.found(true) : domains.fresh(key);
        }

        @Override
        public Lookup<Recipient> resolve(MailAddress address) {
            return recipients.fresh(recipientKey(address));
        }

        @Override
        public Lookup<Boolean> maySendAs(Login.Identity identity, MailAddress sender) {
            return sendAs.fresh(sendAsKey(identity, sender));
        }

        @Override
        public Lookup<SenderRights> senderRights(Login.Identity identity, SenderRightsQuestion question) {
            if (!question.asksDirectory()) {
                return Lookup.found(SenderRights.UNRESTRICTED);
            }
            return rights.fresh(rightsKey(identity, question));
        }

        @Override
        public Lookup<List<Cidr>> trustedNetworks(NetworkSource source) {
            return networks.fresh(networksKey(source));
        }

        @Override
        public Login authenticate(String login, String password) {
            throw NotInMemory.INSTANCE; // a remembered login still costs a hash: never on an event loop
        }

        @Override
        public Optional<Directory> inMemory() {
            return Optional.of(this);
        }
    }

    /** Evicts exactly what {@code change} affects (see {@link DirectoryChange}). */
    public void invalidate(DirectoryChange change) {
        Set<String> keys = change.addressKeys();
        Set<String> dns = change.dns();
        Counter.builder("postern.directory.changes").tag("kind", change.kind().name().toLowerCase(Locale.ROOT))
                .description("directory changes received from change tracking").register(registry).increment();
        recipients.invalidateIf((address, recipient) -> affects(keys, address)
                || recipient != null && affects(keys, dns, change.group(), recipient));
        sendAs.invalidateIf((q, allowed) -> dns.contains(q.dn()) || affects(keys, q.senderKey())
                || keys.contains(q.identity().primaryAddress().key()));
        domains.invalidateIf((domain, ours) -> change.domains().contains(domain));
        // A group change may add or remove anyone, nested groups included: every rights answer goes.
        // Group entries change rarely next to the questions asked; users' own changes evict only theirs.
        rights.invalidateIf((q, answer) -> change.group() || dns.contains(q.dn()));
        networks.invalidateIf((q, list) -> dns.contains(q.dn()));
        logins.invalidate(dns);
    }

    /** Forgets everything (a gap in change tracking that could not be replayed). */
    public void invalidateAll() {
        Counter.builder("postern.directory.changes").tag("kind", "resync").register(registry).increment();
        recipients.invalidateAll();
        sendAs.invalidateAll();
        domains.invalidateAll();
        rights.invalidateAll();
        networks.invalidateAll();
        logins.invalidateAll();
    }

    @Override
    public void changed(DirectoryChange change) {
        invalidate(change);
    }

    @Override
    public void resynchronise() {
        LOG.info("event=directory-cache-resync entries={}", cachedAnswers());
        // Kept as stale rather than dropped: asked again before use, still served in an outage.
        Counter.builder("postern.directory.changes").tag("kind", "resync").register(registry).increment();
        recipients.markAllStale();
        sendAs.markAllStale();
        domains.markAllStale();
        rights.markAllStale();
        networks.markAllStale();
        logins.invalidateAll();
    }

    @Override
    public void reachability(boolean reachable, String detail) {
        if (reachable) {
            health.up();
        } else {
            health.down(detail);
        }
    }

    public DirectoryHealth health() {
        return health;
    }

    /** The {@code directory} condition of {@code /readyz}, from what loads and change tracking saw. */
    public ReadinessCheck readiness() {
        return new DirectoryReadiness(health, this::cachedAnswers);
    }

    /**
     * The {@code directory} condition of {@code /readyz} with a bounded probe of the directory
     * (empty when a server answers, else why not): ready when it answers or the cache is warm.
     */
    public ReadinessCheck readiness(Supplier<Optional<String>> probe) {
        return new DirectoryReadiness(health, this::cachedAnswers) {
            @Override
            public Status check() {
                Optional<String> problem = probe.get();
                if (problem.isEmpty()) {
                    health.up();
                } else {
                    health.down(problem.get());
                }
                return super.check();
            }
        };
    }

    /** How many answers are held (fresh or kept for an outage), over every question. */
    public long cachedAnswers() {
        return recipients.size() + domains.size() + sendAs.size() + rights.size() + networks.size()
                + logins.size();
    }

    /** Runs Caffeine's pending maintenance; for tests. */
    void cleanUp() {
        recipients.cleanUp();
        domains.cleanUp();
        sendAs.cleanUp();
        rights.cleanUp();
        networks.cleanUp();
    }

    /** Stored login hash, for tests that check it is never the password. */
    Optional<byte[]> storedLoginHash(String login) {
        return logins.storedHash(login);
    }

    private static boolean affects(Set<String> keys, MailAddress address) {
        return affects(keys, address.key());
    }

    /** An address key, or its base when it carries a subaddress ({@code user+tag}). */
    private static boolean affects(Set<String> keys, String key) {
        if (keys.contains(key)) {
            return true;
        }
        int plus = key.indexOf('+');
        int at = key.lastIndexOf('@');
        return plus > 0 && plus < at && keys.contains(key.substring(0, plus) + key.substring(at));
    }

    /** Whether a cached answer names the changed entry or contains one of its addresses. */
    private static boolean affects(Set<String> keys, Set<String> dns, boolean groupChanged, Recipient recipient) {
        return switch (recipient) {
            case Recipient.Mailbox m -> dns.contains(DirectoryChange.normalizeDn(m.dn()));
            case Recipient.Forward f -> dns.contains(DirectoryChange.normalizeDn(f.mailbox().dn()));
            case Recipient.Group g -> groupChanged || dns.contains(DirectoryChange.normalizeDn(g.dn()))
                    || g.members().stream().anyMatch(a -> keys.contains(a.key()))
                    || g.allowedSenders().stream().anyMatch(a -> keys.contains(a.key()));
            case Recipient.Alias a -> false;
            case Recipient.Unknown u -> false;
        };
    }

    @Override
    public void close() {
        if (ownExecutor != null) {
            ownExecutor.shutdownNow();
        }
    }
}
