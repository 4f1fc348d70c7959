package io.postern.directory.ldap;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import org.xbill.DNS.Lookup;
import org.xbill.DNS.Record;
import org.xbill.DNS.SRVRecord;
import org.xbill.DNS.SimpleResolver;
import org.xbill.DNS.TextParseException;
import org.xbill.DNS.Type;

/**
 * Finds directory servers from DNS SRV records ({@code _ldap._tcp.<domain>}, or
 * {@code _gc._tcp.<domain>} for the Global Catalog), as Windows clients find domain controllers.
 * Order: lowest priority first, then highest weight (RFC 2782 picks by weight at random; a fixed
 * order keeps the failover order predictable and the first server preferred). Input: the
 * configured domain and the DNS answer (untrusted: targets are checked, at most
 * {@link #MAX_SERVERS} are used). Stateless.
 */
public final class SrvDiscovery {
    static final int MAX_SERVERS = 16;

    private SrvDiscovery() {
    }

    /**
     * The servers for {@code domain}, best first; {@code dnsServer} ("127.0.0.1:5353") replaces the
     * system resolver. Throws when DNS has no usable record: without servers Postern cannot start.
     */
    public static List<URI> discover(String domain, Optional<String> dnsServer, boolean globalCatalog, boolean ldaps)
            throws IOException {
        String name = (globalCatalog ? "_gc._tcp." : "_ldap._tcp.") + domain + ".";
        Lookup lookup;
        try {
            lookup = new Lookup(name, Type.SRV);
        } catch (TextParseException e) {
            throw new IOException("directory.domain: '" + domain + "' is not a DNS name", e);
        }
        if (dnsServer.isPresent()) {
            InetSocketAddress address = parseServer(dnsServer.get());
            SimpleResolver resolver = new SimpleResolver(address);
            resolver.setTimeout(java.time.Duration.ofSeconds(3));
            lookup.setResolver(resolver);
            lookup.setCache(null);
        }
        Record[] records = lookup.run();
        if (lookup.getResult() != Lookup.SUCCESSFUL || records == null) {
            throw new IOException("directory.domain: no SRV records for " + name + " (" + lookup.getErrorString() + ")");
        }
        List<SRVRecord> srv = new ArrayList<>(Arrays.stream(records)
                .filter(SRVRecord.class::isInstance).map(SRVRecord.class::cast)
                .filter(r -> !r.getTarget().toString().equals(".") && r.getPort() > 0).toList());
        srv.sort(Comparator.comparingInt(SRVRecord::getPriority).thenComparing(Comparator.comparingInt(SRVRecord::getWeight).reversed())
                .thenComparing(r -> r.getTarget().toString()));
        List<URI> out = new ArrayList<>();
        for (SRVRecord r : srv.subList(0, Math.min(MAX_SERVERS, srv.size()))) {
            String host = r.getTarget().toString(true);
            if (!host.matches("[A-Za-z0-9.-]{1,253}")) {
                continue;
            }
            // SRV records name the plain LDAP ports; LDAPS listens on the well-known TLS twins.
            int port = !ldaps ? r.getPort() : switch (r.getPort()) {
                case 389 -> 636;
                case 3268 -> 3269;
                default -> r.getPort();
            };
            out.add(URI.create((ldaps ? "ldaps://" : "ldap://") + host + ":" + port));
        }
        if (out.isEmpty()) {
            throw new IOException("directory.domain: the SRV records for " + name + " name no usable server");
        }
        return List.copyOf(out);
    }

    static InetSocketAddress parseServer(String text) throws IOException {
        String host = text;
        int port = 53;
        if (text.startsWith("[")) {
            int end = text.indexOf(']');
            host = text.substring(1, end);
            if (end + 1 < text.length() && text.charAt(end + 1) == ':') {
                port = Integer.parseInt(text.substring(end + 2));
            }
        } else if (text.indexOf(':') == text.lastIndexOf(':') && text.indexOf(':') > 0) {
            host = text.substring(0, text.indexOf(':'));
            port = Integer.parseInt(text.substring(text.indexOf(':') + 1));
        }
        try {
            return new InetSocketAddress(java.net.InetAddress.ofLiteral(host), port);
        } catch (IllegalArgumentException e) {
            throw new IOException("directory.dnsServer: '" + text + "' is not an IP address", e);
        }
    }
}
