package io.postern.directory.ldap;

import com.unboundid.ldap.sdk.Filter;
import com.unboundid.ldap.sdk.LDAPException;
import com.unboundid.ldap.sdk.LDAPInterface;
import com.unboundid.ldap.sdk.SearchResultEntry;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.postern.config.Cidr;
import io.postern.config.ConfigNode;
import io.postern.config.DirectoryConfig;
import io.postern.config.DirectoryMapping;
import io.postern.config.PosternConfig;
import io.postern.directory.Directory;
import io.postern.directory.Login;
import io.postern.directory.Lookup;
import io.postern.directory.NetworkSource;
import io.postern.directory.Recipient;
import io.postern.directory.SenderRights;
import io.postern.directory.SenderRightsQuestion;
import io.postern.mail.MailAddress;
import io.postern.net.Threads;
import io.postern.observability.LogLine;
import java.io.IOException;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The directory over LDAP (OpenLDAP, 389-DS, Active Directory), through the profile's mapping
 * ({@link DirectoryMapping}). Every value placed in a filter goes through the SDK's filter
 * builders; no {@link LDAPException} leaves this package: an unreachable directory is a
 * {@link Lookup.TempFail} or {@link Login.TempFail}, never "unknown". Each question also exists
 * with a {@link DirectoryTrace} for the explain commands. Thread-safe.
 */
public final class LdapDirectory implements Directory, AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(LdapDirectory.class);
    private static final int READINESS_TIMEOUT_MILLIS = 1000;
    /** Result codes of a bind the server refused (as opposed to a server that is not there). */
    private static final Set<com.unboundid.ldap.sdk.ResultCode> SERVICE_BIND_REFUSED = Set.of(
            com.unboundid.ldap.sdk.ResultCode.INVALID_CREDENTIALS, com.unboundid.ldap.sdk.ResultCode.INAPPROPRIATE_AUTHENTICATION,
            com.unboundid.ldap.sdk.ResultCode.STRONG_AUTH_REQUIRED, com.unboundid.ldap.sdk.ResultCode.CONFIDENTIALITY_REQUIRED,
            com.unboundid.ldap.sdk.ResultCode.UNWILLING_TO_PERFORM, com.unboundid.ldap.sdk.ResultCode.INSUFFICIENT_ACCESS_RIGHTS);

    private final DirectoryConfig config;
    private final Set<String> configDomains;
    private final Optional<LdapConnections> connections;
    private final Searcher searcher;
    private final EntryReader reader;
    private final GroupExpander groups;
    private final UserLogin logins;
    private final SenderRightsReader rights;
    private final Filter userFilter;
    private final Optional<Filter> groupFilter;
    private final Optional<Filter> aliasFilter;
    private final Optional<Filter> domainFilter;
    private final MeterRegistry meters;
    private final AtomicReference<CompletableFuture<Optional<String>>> probing = new AtomicReference<>();

    private LdapDirectory(DirectoryConfig config, List<String> configDomains, Optional<LdapConnections> connections,
            LDAPInterface search, com.unboundid.ldap.sdk.LDAPConnectionPool bindPool, MeterRegistry meters) {
        this.config = config;
        this.configDomains = configDomains.stream().map(d -> d.toLowerCase(Locale.ROOT)).collect(Collectors.toSet());
        this.connections = connections;
        this.meters = meters;
        DirectoryMapping mapping = config.mapping();
        Counter roundTrips = Counter.builder("postern.directory.ldap.round.trips")
                .description("LDAP requests sent by the directory adapter").register(meters);
        this.searcher = new Searcher(search, config.pageSize(), config.responseTimeout().toMillis(), roundTrips::increment);
        this.reader = new EntryReader(mapping.attributes());
        this.userFilter = parse(mapping.filters().user()).orElseThrow();
        this.groupFilter = parse(mapping.filters().group());
        this.aliasFilter = parse(mapping.filters().alias());
        this.domainFilter = parse(mapping.filters().domain());
        this.groups = new GroupExpander(searcher, reader, mapping, config.groups(),
                groupFilter.orElse(Filter.createPresenceFilter(mapping.attributes().member().isEmpty()
                        ? "member" : mapping.attributes().member().get(0))), config.baseDn());
        this.rights = new SenderRightsReader(searcher, mapping, config.groups(), groupFilter);
        this.logins = new UserLogin(searcher, bindPool, reader, mapping, userFilter, config.responseTimeout().toMillis());
    }

    /** Connects to the servers of {@code config} ({@code urls}, else SRV records of {@code domain}, else the embedded server). */
    public static LdapDirectory connect(DirectoryConfig config, List<String> configDomains) throws IOException {
        // The global registry records nothing until a registry is added to it: the CLI's case.
        return connect(config, configDomains, io.micrometer.core.instrument.Metrics.globalRegistry);
    }

    public static LdapDirectory connect(PosternConfig config, MeterRegistry meters) throws IOException {
        return connect(config.directory(), config.domains(), meters);
    }

    public static LdapDirectory connect(DirectoryConfig config, List<String> configDomains, MeterRegistry meters)
            throws IOException {
        List<URI> urls = serverUrls(config);
        LdapConnections connections = LdapConnections.open(config, urls);
        LdapDirectory directory = new LdapDirectory(config, configDomains, Optional.of(connections),
                connections.search(), connections.bind(), meters);
        Optional<String> problem = directory.unhealthy();
        if (problem.isPresent()) {
            // Starting anyway: questions answer "try again later" until a server answers.
            LogLine.event("directory-unreachable-at-start").add("profile", profileName(config)).add("servers", urls)
                    .add("reason", problem.get()).warn(LOG);
        } else {
            LogLine.event("directory-connected").add("profile", profileName(config)).add("servers", urls).info(LOG);
        }
        return directory;
    }

    static List<URI> serverUrls(DirectoryConfig config) throws IOException {
        if (!config.urls().isEmpty()) {
            return config.urls();
        }
        if (config.embedded().isPresent()) {
            var e = config.embedded().get();
            return List.of(URI.create("ldap://" + e.address() + ":" + e.port()));
        }
        if (config.domain().isPresent()) {
            List<URI> found = SrvDiscovery.discover(config.domain().get(), config.dnsServer(), config.globalCatalog(),
                    false);
            // The servers come from DNS SRV answers: not ours.
            LogLine.event("directory-discovered").add("domain", config.domain().get()).add("servers", found).info(LOG);
            return found;
        }
        throw new IOException("directory: no server (set directory.urls, directory.domain or directory.embedded)");
    }

    public DirectoryConfig config() {
        return config;
    }

    public String profileName() {
        return profileName(config);
    }

    private static String profileName(DirectoryConfig config) {
        return config.profile().name().toLowerCase(Locale.ROOT).replace('_', '-');
    }

    /** The servers in failover order (empty when built over a test connection). */
    public List<URI> servers() {
        return connections.map(LdapConnections::urls).orElse(List.of());
    }

    @Override
    public Lookup<Boolean> isLocalDomain(String domain) {
        return isLocalDomain(domain, DirectoryTrace.off());
    }

    public Lookup<Boolean> isLocalDomain(String domain, DirectoryTrace trace) {
        String key = domain == null ? "" : domain.toLowerCase(Locale.ROOT);
        if (configDomains.contains(key)) {
            trace.note("domain " + key + ": listed in the configuration (domains)");
            return count("domain", Lookup.found(true));
        }
        if (!config.domainsFromDirectory() || domainFilter.isEmpty() || key.isEmpty() || key.length() > MailAddress.MAX_DOMAIN
                || !matchable(key)) {
            trace.note("domain " + key + ": not in the configuration"
                    + (config.domainsFromDirectory() ? "" : " (directory.domainsFromDirectory is off)"));
            return count("domain", Lookup.found(false));
        }
        Filter filter = Filter.createANDFilter(domainFilter.get(),
                Filter.createEqualityFilter(config.mapping().attributes().domainName(), key));
        try {
            boolean found = !searcher.lookup(trace, config.mapping().bases().domains(), filter, "1.1").isEmpty();
            return count("domain", Lookup.found(found));
        } catch (DirectoryUnavailable e) {
            return count("domain", Lookup.tempFail(e.getMessage()));
        }
    }

    @Override
    public Lookup<Recipient> resolve(MailAddress address) {
        return resolve(address, DirectoryTrace.off());
    }

    public Lookup<Recipient> resolve(MailAddress address, DirectoryTrace trace) {
        trace.note("profile " + profileName() + "; address " + address);
        if (address.localPart().isEmpty() || address.localPart().length() > MailAddress.MAX_LOCAL_PART
                || address.domain().length() > MailAddress.MAX_DOMAIN || !matchable(address.localPart())
                || !matchable(address.domain())) {
            // LDAP matching folds spaces (" alice" equals "alice"): such values never reach a lookup.
            trace.note("longer than RFC 5321 allows, or with spaces or control characters: unknown without asking");
            return count("resolve", Lookup.found(new Recipient.Unknown(address)));
        }
        try {
            Optional<Recipient> found = find(address, trace);
            if (found.isEmpty()) {
                String base = config.subaddress().baseOf(address.localPart());
                if (!base.equals(address.localPart())) {
                    MailAddress stripped = new MailAddress(base, address.domain());
                    trace.note("subaddress: not found as is, trying " + stripped);
                    found = find(stripped, trace);
                }
            }
            Recipient recipient = found.orElseGet(() -> new Recipient.Unknown(address));
            trace.note("decision: " + describe(recipient));
            return count("resolve", Lookup.found(recipient));
        } catch (DirectoryUnavailable e) {
            trace.note("decision: try again later (" + e.getMessage() + ")");
            LogLine.event("directory-unavailable").add("question", "resolve").add("reason", e.getMessage()).warn(LOG);
            return count("resolve", Lookup.tempFail(e.getMessage()));
        }
    }

    /** Users, then aliases, then groups; one entry or none, more is a directory error. */
    private Optional<Recipient> find(MailAddress address, DirectoryTrace trace) throws DirectoryUnavailable {
        String key = address.key();
        DirectoryMapping.Attributes names = config.mapping().attributes();
        Filter byAddress = addressFilter(key);
        List<SearchResultEntry> users = searcher.lookup(trace, config.mapping().bases().users(),
                Filter.createANDFilter(userFilter, byAddress), reader.recipientAttributes());
        if (!users.isEmpty()) {
            return Optional.of(user(one(users, key), address, trace));
        }
        if (aliasFilter.isPresent()) {
            List<SearchResultEntry> aliases = searcher.lookup(trace, config.mapping().bases().aliases(),
                    Filter.createANDFilter(aliasFilter.get(), aliasAddressFilter(key)), reader.recipientAttributes());
            if (!aliases.isEmpty()) {
                SearchResultEntry alias = one(aliases, key);
                List<MailAddress> targets = reader.aliasTargets(alias);
                trace.note("alias " + alias.getDN() + " -> " + targets);
                return Optional.of(new Recipient.Alias(address, targets));
            }
        }
        if (groupFilter.isPresent()) {
            List<SearchResultEntry> found = searcher.lookup(trace, config.mapping().bases().groups(),
                    Filter.createANDFilter(groupFilter.get(), byAddress), reader.memberAttributes());
            if (!found.isEmpty()) {
                SearchResultEntry group = one(found, key);
                trace.note("group " + group.getDN() + " <" + address + ">");
                List<MailAddress> members = groups.members(group, trace);
                return Optional.of(new Recipient.Group(address, group.getDN(), members, reader.allowedSenders(group)));
            }
        }
        return Optional.empty();
    }

    private Recipient user(SearchResultEntry entry, MailAddress asked, DirectoryTrace trace) {
        MailAddress primary = reader.primary(entry).orElse(asked);
        boolean disabled = reader.disabled(entry);
        Recipient.Mailbox mailbox = new Recipient.Mailbox(primary, entry.getDN(), reader.spool(entry),
                reader.quota(entry), disabled, reader.homeServer(entry));
        trace.note("user " + entry.getDN() + " <" + primary + ">" + (disabled ? " (disabled)" : ""));
        List<MailAddress> listed = reader.forwardingAddresses(entry);
        // A forwarding list that names the user's own address keeps a copy (iRedMail's convention):
        // the own address is the copy, not a target, so it cannot loop.
        Set<String> own = reader.addressKeys(entry);
        List<MailAddress> forward = listed.stream().filter(t -> !own.contains(t.key()) && !t.key().equals(primary.key()))
                .toList();
        boolean keepCopy = reader.keepCopy(entry) || forward.size() < listed.size();
        if (!forward.isEmpty() && !disabled) {
            return new Recipient.Forward(mailbox, forward, keepCopy);
        }
        return mailbox;
    }

    /** An alias entry's own address: its alias-address attribute, or one of its alternate addresses. */
    private Filter aliasAddressFilter(String key) {
        DirectoryMapping.Attributes names = config.mapping().attributes();
        Filter own = Filter.createEqualityFilter(names.aliasAddress(), key);
        if (names.alternateAddress().isEmpty()) {
            return own;
        }
        return Filter.createORFilter(own,
                Filter.createEqualityFilter(names.alternateAddress(), reader.alternateValue(key)));
    }

    private Filter addressFilter(String key) {
        DirectoryMapping.Attributes names = config.mapping().attributes();
        if (names.alternateAddress().isEmpty()) {
            return Filter.createEqualityFilter(names.mail(), key);
        }
        return Filter.createORFilter(Filter.createEqualityFilter(names.mail(), key),
                Filter.createEqualityFilter(names.alternateAddress(), reader.alternateValue(key)));
    }

    private static SearchResultEntry one(List<SearchResultEntry> entries, String key) throws DirectoryUnavailable {
        if (entries.size() > 1) {
            // Two entries claiming one address is a directory mistake: deferring (451) gets it fixed
            // without losing or misdelivering mail.
            List<String> dns = entries.stream().map(SearchResultEntry::getDN).toList();
            throw new DirectoryUnavailable("address " + key + " is held by " + entries.size() + " entries " + dns, null);
        }
        return entries.get(0);
    }

    @Override
    public Lookup<Boolean> maySendAs(Login.Identity identity, MailAddress sender) {
        return maySendAs(identity, sender, DirectoryTrace.off());
    }

    public Lookup<Boolean> maySendAs(Login.Identity identity, MailAddress sender, DirectoryTrace trace) {
        String key = sender.key();
        String base = new MailAddress(config.subaddress().baseOf(sender.localPart()), sender.domain()).key();
        if (identity.primaryAddress().key().equals(key) || identity.primaryAddress().key().equals(base)) {
            trace.note(sender + " is the primary address of " + identity.dn());
            return count("send-as", Lookup.found(true));
        }
        try {
            Optional<SearchResultEntry> entry = searcher.read(trace, identity.dn(), userFilter, reader.recipientAttributes());
            if (entry.isPresent()) {
                Set<String> own = reader.addressKeys(entry.get());
                if (own.contains(key) || own.contains(base)) {
                    trace.note(sender + " is an address of " + identity.dn());
                    return count("send-as", Lookup.found(true));
                }
            }
            Lookup<Recipient> recipient = resolve(sender, trace);
            if (recipient instanceof Lookup.TempFail<Recipient> t) {
                return count("send-as", Lookup.tempFail(t.reason()));
            }
            if (((Lookup.Found<Recipient>) recipient).value() instanceof Recipient.Alias alias
                    && alias.targets().stream().anyMatch(t -> t.key().equals(identity.primaryAddress().key()))) {
                trace.note(sender + " is an alias that delivers to " + identity.primaryAddress());
                return count("send-as", Lookup.found(true));
            }
            trace.note(sender + " does not belong to " + identity.dn());
            return count("send-as", Lookup.found(false));
        } catch (DirectoryUnavailable e) {
            return count("send-as", Lookup.tempFail(e.getMessage()));
        }
    }

    @Override
    public Lookup<SenderRights> senderRights(Login.Identity identity, SenderRightsQuestion question) {
        return senderRights(identity, question, DirectoryTrace.off());
    }

    public Lookup<SenderRights> senderRights(Login.Identity identity, SenderRightsQuestion question,
                                             DirectoryTrace trace) {
        try {
            return count("sender-rights", Lookup.found(rights.read(identity, question, trace)));
        } catch (DirectoryUnavailable e) {
            LogLine.event("directory-unavailable").add("question", "sender-rights").add("reason", e.getMessage()).warn(LOG);
            return count("sender-rights", Lookup.tempFail(e.getMessage()));
        }
    }

    @Override
    public Lookup<List<Cidr>> trustedNetworks(NetworkSource source) {
        try {
            Optional<SearchResultEntry> entry = searcher.read(DirectoryTrace.off(), source.dn(),
                    Filter.createPresenceFilter("objectClass"), source.attribute());
            if (entry.isEmpty()) {
                LogLine.event("relay-networks-entry-missing").add("dn", source.dn()).warn(LOG);
                return count("trusted-networks", Lookup.found(List.of()));
            }
            String[] values = entry.get().getAttributeValues(source.attribute());
            List<Cidr> networks = new ArrayList<>();
            for (String value : values == null ? new String[0] : values) {
                ConfigNode.Parsed<Cidr> parsed = Cidr.parse(value.trim());
                if (parsed.problem() != null) {
                    // One bad value must not drop the others, nor trust anything it did not say.
                    LogLine.event("relay-network-invalid").add("dn", source.dn()).add("attribute", source.attribute())
                            .add("value", value).add("reason", parsed.problem()).warn(LOG);
                } else {
                    networks.add(parsed.value());
                }
            }
            return count("trusted-networks", Lookup.found(List.copyOf(networks)));
        } catch (DirectoryUnavailable e) {
            LogLine.event("directory-unavailable").add("question", "trusted-networks").add("reason", e.getMessage())
                    .warn(LOG);
            return count("trusted-networks", Lookup.tempFail(e.getMessage()));
        }
    }

    @Override
    public Login authenticate(String login, String password) {
        return authenticate(login, password, DirectoryTrace.off());
    }

    public Login authenticate(String login, String password, DirectoryTrace trace) {
        trace.note("profile " + profileName() + "; login attributes " + config.mapping().attributes().login());
        Login result = logins.authenticate(login, password, trace);
        String outcome = switch (result) {
            case Login.Succeeded s -> "ok";
            case Login.Failed f -> f.reason().name().toLowerCase(Locale.ROOT);
            case Login.TempFail t -> "tempfail";
        };
        Counter.builder("postern.directory.logins").tag("outcome", outcome).register(meters).increment();
        if (result instanceof Login.TempFail t) {
            LogLine.event("directory-unavailable").add("question", "login").add("reason", t.reason()).warn(LOG);
        }
        return result;
    }

    /**
     * Empty when a server answers the root DSE within a second; else why not. Never throws and never
     * waits longer than a second, even when connecting to a silent server takes the whole connect
     * timeout: the probe runs on its own virtual thread, and only one at a time.
     */
    public Optional<String> unhealthy() {
        CompletableFuture<Optional<String>> probe = probing.updateAndGet(current -> current != null && !current.isDone()
                ? current : CompletableFuture.supplyAsync(this::probeNow, task -> Threads.startVirtual("directory-probe", task)));
        try {
            return probe.get(READINESS_TIMEOUT_MILLIS, TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            return Optional.of("directory: no answer within " + READINESS_TIMEOUT_MILLIS + " ms");
        } catch (ExecutionException e) {
            return Optional.of("directory: " + e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Optional.of("directory: interrupted");
        }
    }

    /**
     * Why the service account ({@code directory.bindDn}) cannot bind, when that is the reason the
     * directory does not answer: a wrong service password must be reported as such, not as a
     * user's wrong password or a vague outage. Empty when it binds, when there is none (anonymous),
     * or when no server answers at all.
     */
    public Optional<String> serviceAccountProblem() {
        if (config.bindDn().isEmpty() || connections.isEmpty()) {
            return Optional.empty();
        }
        var pool = connections.get().search();
        try {
            pool.releaseConnection(pool.getConnection());
            return Optional.empty();
        } catch (LDAPException e) {
            if (!SERVICE_BIND_REFUSED.contains(e.getResultCode())) {
                return Optional.empty();
            }
            return Optional.of("the service account " + config.bindDn() + " cannot bind (" + Searcher.describe(e)
                    + "): check directory.bindDn and directory.bindPassword");
        }
    }

    private Optional<String> probeNow() {
        try {
            searcher.probe(READINESS_TIMEOUT_MILLIS);
            return Optional.empty();
        } catch (DirectoryUnavailable e) {
            return Optional.of(e.getMessage());
        }
    }

    private <T> Lookup<T> count(String question, Lookup<T> result) {
        String outcome = result instanceof Lookup.TempFail<T> ? "tempfail" : "answered";
        Counter.builder("postern.directory.requests").tag("question", question).tag("outcome", outcome)
                .register(meters).increment();
        return result;
    }

    static String describe(Recipient recipient) {
        return switch (recipient) {
            case Recipient.Mailbox m -> "mailbox " + m.address() + (m.disabled() ? " (disabled: 550 5.2.1)" : "")
                    + m.spool().map(s -> " spool " + s).orElse("")
                    + m.homeServer().map(h -> " home server " + h).orElse("")
                    + (m.quotaBytes().isPresent() ? " quota " + m.quotaBytes().getAsLong() + " bytes" : "");
            case Recipient.Alias a -> "alias " + a.address() + " -> " + a.targets();
            case Recipient.Group g -> "group " + g.address() + " -> " + g.members()
                    + (g.allowedSenders().isEmpty() ? "" : " (senders allowed: " + g.allowedSenders() + ")");
            case Recipient.Forward f -> "forward " + f.mailbox().address() + " -> " + f.targets()
                    + (f.keepCopy() ? " (keeps a copy)" : " (no copy kept)");
            case Recipient.Unknown u -> "unknown " + u.address();
        };
    }

    /**
     * This directory with every question recorded in {@code trace}: what {@code postern lookup}
     * hands to the delivery's own expander, so that the explanation is the delivery's algorithm.
     */
    public Directory traced(DirectoryTrace trace) {
        LdapDirectory self = this;
        return new Directory() {
            @Override
            public Lookup<Boolean> isLocalDomain(String domain) {
                return self.isLocalDomain(domain, trace);
            }

            @Override
            public Lookup<Recipient> resolve(MailAddress address) {
                return self.resolve(address, trace);
            }

            @Override
            public Lookup<Boolean> maySendAs(Login.Identity identity, MailAddress sender) {
                return self.maySendAs(identity, sender, trace);
            }

            @Override
            public Login authenticate(String login, String password) {
                return self.authenticate(login, password, trace);
            }

            @Override
            public Lookup<SenderRights> senderRights(Login.Identity identity, SenderRightsQuestion question) {
                return self.senderRights(identity, question, trace);
            }

            @Override
            public Lookup<List<Cidr>> trustedNetworks(NetworkSource source) {
                return self.trustedNetworks(source);
            }
        };
    }

    /** No control characters, no leading, trailing or doubled white space (LDAP matching would fold them). */
    static boolean matchable(String value) {
        return value.equals(value.strip()) && !value.contains("  ")
                && value.chars().noneMatch(c -> Character.isISOControl(c) || c == '\u00a0');
    }

    private static Optional<Filter> parse(String text) {
        if (text.isEmpty()) {
            return Optional.empty();
        }
        try {
            return Optional.of(Filter.create(text));
        } catch (LDAPException e) {
            // DirectoryMapping already validated it; reaching here means a programming error.
            throw new IllegalArgumentException("directory filter '" + text + "': " + e.getExceptionMessage(), e);
        }
    }

    @Override
    public void close() {
        connections.ifPresent(LdapConnections::close);
    }
}
