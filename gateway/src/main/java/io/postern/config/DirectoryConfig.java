package io.postern.config;

import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * Where the directory is and how to talk to it. With {@code embedded} set, Postern runs its own
 * in-memory directory and ignores {@code urls}. Immutable.
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
        boolean followReferrals) {

    public DirectoryConfig {
        urls = List.copyOf(urls);
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
        String baseDn = node.string("baseDn", embedded.isPresent() ? "dc=example,dc=test" : "");
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
        return new DirectoryConfig(profile, embedded, urls, domain, baseDn, bindDn, bindPassword, startTls, caFile,
                connectTimeout, responseTimeout, searchPoolSize, bindPoolSize, followReferrals);
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
