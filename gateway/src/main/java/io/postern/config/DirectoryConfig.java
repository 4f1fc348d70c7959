package io.postern.config;

import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * Where the directory is and how to talk to it. With {@code embedded} set, Postern runs its own
 * in-memory directory and ignores {@code urls}. The nested sections ({@code bases}, {@code filters},
 * {@code attributes}, {@code subaddress}, {@code groups}) map Postern's questions onto the
 * directory's schema; docs/directory.md lists every key. Immutable.
 */
public record DirectoryConfig(
        DirectoryProfile profile,
        Optional<EmbeddedDirectoryConfig> embedded,
        List<URI> urls,
        Optional<String> domain,
        String baseDn,
        String bindDn,
        String bindPassword,
        boolean startTls,
        Optional<Path> caFile,
        Duration connectTimeout,
        Duration responseTimeout,
        int searchPoolSize,
        int bindPoolSize,
        boolean followReferrals,
        boolean globalCatalog,
        Optional<String> dnsServer,
        Duration healthCheckInterval,
        int pageSize,
        boolean domainsFromDirectory,
        DirectoryMapping mapping,
        SubaddressConfig subaddress,
        GroupExpansionConfig groups) {

    public DirectoryConfig {
        urls = List.copyOf(urls);
    }

    /** The first fourteen fields, with the profile's defaults for everything added since. */
    public DirectoryConfig(DirectoryProfile profile, Optional<EmbeddedDirectoryConfig> embedded, List<URI> urls,
            Optional<String> domain, String baseDn, String bindDn, String bindPassword, boolean startTls,
            Optional<Path> caFile, Duration connectTimeout, Duration responseTimeout, int searchPoolSize,
            int bindPoolSize, boolean followReferrals) {
        this(profile, embedded, urls, domain, baseDn, bindDn, bindPassword, startTls, caFile, connectTimeout,
                responseTimeout, searchPoolSize, bindPoolSize, followReferrals, false, Optional.empty(),
                Duration.ofSeconds(30), 500, false, defaultMapping(profile, baseDn), new SubaddressConfig(true, "+"),
                defaultGroups(profile));
    }

    /** The same settings with other server URLs (the embedded server's real port, tests). */
    public DirectoryConfig withUrls(List<URI> newUrls) {
        return new DirectoryConfig(profile, embedded, newUrls, domain, baseDn, bindDn, bindPassword, startTls, caFile,
                connectTimeout, responseTimeout, searchPoolSize, bindPoolSize, followReferrals, globalCatalog,
                dnsServer, healthCheckInterval, pageSize, domainsFromDirectory, mapping, subaddress, groups);
    }

    /** The profile's default mapping under {@code baseDn}. */
    public static DirectoryMapping defaultMapping(DirectoryProfile profile, String baseDn) {
        ConfigNode empty = ConfigNode.root(java.util.Map.of(), new ConfigProblems(), new SecretResolver(java.util.Map.of()));
        return DirectoryMapping.from(empty, profile, baseDn);
    }

    private static GroupExpansionConfig defaultGroups(DirectoryProfile profile) {
        ConfigNode empty = ConfigNode.root(java.util.Map.of(), new ConfigProblems(), new SecretResolver(java.util.Map.of()));
        return GroupExpansionConfig.from(empty, profile);
    }

    static DirectoryConfig from(ConfigNode node, Path base) {
        DirectoryProfile profile = node.enumValue("profile", DirectoryProfile.class, DirectoryProfile.OPENLDAP);
        Optional<EmbeddedDirectoryConfig> embedded = node.has("embedded")
                ? Optional.of(EmbeddedDirectoryConfig.from(node.section("embedded"), base))
                : Optional.empty();
        List<URI> urls = node.parsedStrings("urls", List.of(), DirectoryConfig::parseUrl);
        Optional<String> domain = node.optionalString("domain");
        if (embedded.isEmpty() && !node.has("urls") && domain.isEmpty()) {
            node.error("urls", "is required (or directory.domain for DNS SRV discovery, or directory.embedded)");
        }
        String baseDn = node.string("baseDn", embedded.isPresent() ? "dc=example,dc=test"
                : domain.map(DirectoryConfig::domainDn).orElse(""));
        if (baseDn.isEmpty() && embedded.isEmpty()) {
            node.error("baseDn", "is required");
        }
        String bindDn = node.string("bindDn", embedded.map(EmbeddedDirectoryConfig::bindDn).orElse(""));
        String bindPassword = node.string("bindPassword", embedded.map(EmbeddedDirectoryConfig::bindPassword).orElse(""));
        boolean startTls = node.bool("startTls", false);
        Optional<Path> caFile = node.optionalString("caFile").map(base::resolve);
        Duration connectTimeout = node.duration("connectTimeout", Duration.ofSeconds(5));
        Duration responseTimeout = node.duration("responseTimeout", Duration.ofSeconds(5));
        int searchPoolSize = node.integer("searchPoolSize", 8, 1, 256);
        int bindPoolSize = node.integer("bindPoolSize", 4, 1, 256);
        boolean followReferrals = node.bool("followReferrals", false);
        boolean globalCatalog = node.bool("globalCatalog", false);
        Optional<String> dnsServer = node.optionalString("dnsServer");
        dnsServer.ifPresent(server -> {
            if (!server.matches("[0-9a-fA-F.:\\[\\]]+")) {
                node.error("dnsServer", "'" + server + "' is not an IP address (optionally with :port)");
            }
        });
        Duration healthCheckInterval = node.duration("healthCheckInterval", Duration.ofSeconds(30));
        if (healthCheckInterval.toMillis() < 100) {
            node.error("healthCheckInterval", "must be at least 100ms");
        }
        int pageSize = node.integer("pageSize", 500, 1, 100_000);
        boolean domainsFromDirectory = node.bool("domainsFromDirectory", false);
        DirectoryMapping mapping = DirectoryMapping.from(node, profile, baseDn);
        if (domainsFromDirectory && (mapping.filters().domain().isEmpty() || mapping.attributes().domainName().isEmpty())) {
            node.error("domainsFromDirectory", "needs directory.filters.domain and directory.attributes.domainName");
        }
        SubaddressConfig subaddress = SubaddressConfig.from(node.section("subaddress"));
        GroupExpansionConfig groups = GroupExpansionConfig.from(node.section("groups"), profile);
        return new DirectoryConfig(profile, embedded, urls, domain, baseDn, bindDn, bindPassword, startTls, caFile,
                connectTimeout, responseTimeout, searchPoolSize, bindPoolSize, followReferrals, globalCatalog,
                dnsServer, healthCheckInterval, pageSize, domainsFromDirectory, mapping, subaddress, groups);
    }

    /** {@code ad.example.com} as a DN, {@code DC=ad,DC=example,DC=com}: AD's naming context for its DNS domain. */
    static String domainDn(String domain) {
        StringBuilder dn = new StringBuilder();
        for (String label : domain.split("\\.")) {
            if (!label.isEmpty()) {
                dn.append(dn.isEmpty() ? "" : ",").append("DC=").append(label);
            }
        }
        return dn.toString();
    }

    static ConfigNode.Parsed<URI> parseUrl(String text) {
        URI uri;
        try {
            uri = new URI(text);
        } catch (java.net.URISyntaxException e) {
            return ConfigNode.Parsed.problem("'" + text + "' is not a URL (like ldaps://dc1.example.com:636)");
        }
        String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
        if (!scheme.equals("ldap") && !scheme.equals("ldaps")) {
            return ConfigNode.Parsed.problem("unsupported scheme '" + scheme + "' (ldap or ldaps)");
        }
        if (uri.getHost() == null) {
            return ConfigNode.Parsed.problem("'" + text + "' names no host");
        }
        if (uri.getPort() == 0 || uri.getPort() > 65535) {
            return ConfigNode.Parsed.problem(uri.getPort() + " is not a port (1-65535)");
        }
        return ConfigNode.Parsed.ok(uri);
    }
}
