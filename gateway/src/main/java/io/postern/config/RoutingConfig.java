package io.postern.config;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * Where mailboxes live when not here (docs/routing.md): relay domains, accepted and passed on to
 * a next hop instead of stored, and the host names that mean "this node" when a user's home
 * server ({@code directory.attributes.homeServer}) names one. Empty by default: every accepted
 * domain is stored locally. Immutable.
 */
public record RoutingConfig(Map<String, RelayDomain> relayDomains, List<String> localHomeServers) {

    public RoutingConfig {
        relayDomains = Map.copyOf(relayDomains);
        localHomeServers = localHomeServers.stream().map(h -> h.toLowerCase(Locale.ROOT)).toList();
    }

    /** No relay domains, no extra local names. */
    public static RoutingConfig none() {
        return new RoutingConfig(Map.of(), List.of());
    }

    /**
     * How recipients of a relay domain are checked at RCPT. {@code directory}: they must exist in
     * the directory (unknown: 550 5.1.1, no backscatter); {@code none}: every address is accepted and
     * the next hop decides, so its refusals become bounces (backscatter risk, docs/routing.md).
     */
    public enum Verify { DIRECTORY, NONE }

    /** One relay domain: its next hop and how its recipients are checked. */
    public record RelayDomain(String domain, NextHop nextHop, Verify verify) {
        public RelayDomain {
            Objects.requireNonNull(domain);
            Objects.requireNonNull(nextHop);
            Objects.requireNonNull(verify);
        }
    }

    /** The relay domain {@code domain} belongs to, if any (exact match, case-insensitive). */
    public Optional<RelayDomain> relayDomain(String domain) {
        return Optional.ofNullable(relayDomains.get(domain.toLowerCase(Locale.ROOT)));
    }

    /** Is {@code hop} this node: its hostname or one of {@code localHomeServers}? */
    public boolean isLocal(NextHop hop, String nodeHostname) {
        return hop.names(nodeHostname) || localHomeServers.stream().anyMatch(hop::names);
    }

    static RoutingConfig from(ConfigNode node, List<String> localDomains) {
        Map<String, RelayDomain> relay = new LinkedHashMap<>();
        for (ConfigNode entry : node.sections("relayDomains")) {
            String rawDomain = entry.required("domain");
            String rawHop = entry.required("nextHop");
            Verify verify = entry.enumValue("verify", Verify.class, Verify.DIRECTORY);
            if (rawDomain.isEmpty() || rawHop.isEmpty()) {
                continue; // reported as required
            }
            ConfigNode.Parsed<String> domain = PosternConfig.parseDomain(rawDomain);
            ConfigNode.Parsed<NextHop> hop = NextHop.parse(rawHop);
            if (domain.problem() != null) {
                entry.error("domain", domain.problem());
                continue;
            }
            if (hop.problem() != null) {
                entry.error("nextHop", hop.problem());
                continue;
            }
            if (localDomains.contains(domain.value())) {
                entry.error("domain", "'" + domain.value() + "' is also listed in domains: a domain is either"
                        + " stored here or relayed to a next hop, not both");
            } else if (relay.putIfAbsent(domain.value(), new RelayDomain(domain.value(), hop.value(), verify)) != null) {
                entry.error("domain", "'" + domain.value() + "' is listed twice");
            }
        }
        List<String> local = node.parsedStrings("localHomeServers", List.of(), text -> {
            String host = text.trim().toLowerCase(Locale.ROOT);
            return host.matches("[a-z0-9]([a-z0-9.-]{0,252})") ? ConfigNode.Parsed.ok(host)
                    : ConfigNode.Parsed.problem("'" + text + "' is not a host name");
        });
        return new RoutingConfig(relay, local);
    }
}
