package io.postern.outbound.dns;

import io.postern.mail.EnhancedStatus;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.random.RandomGenerator;
import org.xbill.DNS.AAAARecord;
import org.xbill.DNS.ARecord;
import org.xbill.DNS.Cache;
import org.xbill.DNS.DClass;
import org.xbill.DNS.ExtendedResolver;
import org.xbill.DNS.Lookup;
import org.xbill.DNS.MXRecord;
import org.xbill.DNS.Name;
import org.xbill.DNS.Record;
import org.xbill.DNS.Resolver;
import org.xbill.DNS.SimpleResolver;
import org.xbill.DNS.TextParseException;
import org.xbill.DNS.Type;

/**
 * Resolves a mail domain to the hosts to try ({@link Route}). Uses the configured DNS servers, or
 * the system's (/etc/resolv.conf) when none are given; answers are cached by TTL. Immutable
 * configuration, thread-safe; every call blocks for at most a few DNS timeouts.
 */
public final class MxResolver {
    /** More MX hosts than this are ignored (Postfix's smtp_mx_address_limit is similar). */
    public static final int MAX_MX_HOSTS = 10;
    public static final int MAX_ADDRESSES_PER_HOST = 5;

    private final Resolver resolver;
    private final Cache cache = new Cache(DClass.IN);
    private final RandomGenerator random;

    public MxResolver(List<InetSocketAddress> servers, Duration timeout, RandomGenerator random) {
        Objects.requireNonNull(servers);
        Objects.requireNonNull(timeout);
        this.random = Objects.requireNonNull(random);
        ExtendedResolver extended;
        if (servers.isEmpty()) {
            extended = new ExtendedResolver();
        } else {
            List<Resolver> each = new ArrayList<>();
            for (InetSocketAddress server : servers) {
                each.add(new SimpleResolver(server));
            }
            extended = new ExtendedResolver(each);
        }
        extended.setTimeout(timeout);
        extended.setRetries(2);
        this.resolver = extended;
    }

    public Route resolve(String domain) {
        Name name;
        try {
            name = Name.fromString(domain.toLowerCase(Locale.ROOT) + ".");
        } catch (TextParseException e) {
            return new Route.PermanentFailure(EnhancedStatus.BAD_DESTINATION_SYSTEM, "invalid domain name " + domain);
        }
        Lookup mx = run(name, Type.MX);
        Record[] answers = mx.getAnswers();
        return switch (mx.getResult()) {
            case Lookup.SUCCESSFUL -> fromMx(domain, answers);
            case Lookup.TYPE_NOT_FOUND -> implicitMx(domain, name);
            case Lookup.HOST_NOT_FOUND -> new Route.PermanentFailure(EnhancedStatus.BAD_DESTINATION_SYSTEM, "domain " + domain + " does not exist (NXDOMAIN)");
            default -> new Route.TemporaryFailure(EnhancedStatus.DIRECTORY_UNAVAILABLE, "DNS lookup of MX for " + domain + " failed: "
                    + mx.getErrorString());
        };
    }

    private Route fromMx(String domain, Record[] answers) {
        List<MxRecord> records = new ArrayList<>();
        for (Record answer : answers) {
            if (answer instanceof MXRecord mx) {
                String target = mx.getTarget().toString(true);
                records.add(new MxRecord(mx.getPriority(), target.isEmpty() ? "." : target));
            }
        }
        if (records.stream().anyMatch(MxRecord::isNull)) {
            return new Route.PermanentFailure(EnhancedStatus.NULL_MX, "domain " + domain + " publishes a null MX (RFC 7505): it accepts no mail");
        }
        List<MxRecord> ordered = MxOrder.order(records, random);
        List<MxHost> hosts = new ArrayList<>();
        boolean temporary = false;
        String lastProblem = "";
        for (MxRecord record : ordered.subList(0, Math.min(ordered.size(), MAX_MX_HOSTS))) {
            Addresses addresses = addresses(record.exchange());
            if (!addresses.list().isEmpty()) {
                hosts.add(new MxHost(record.exchange(), record.preference(), addresses.list(), false));
            } else {
                temporary |= addresses.temporary();
                lastProblem = addresses.problem();
            }
        }
        if (!hosts.isEmpty()) {
            return new Route.Hosts(hosts);
        }
        return temporary
                ? new Route.TemporaryFailure(EnhancedStatus.DIRECTORY_UNAVAILABLE, "no address for any MX host of " + domain + ": " + lastProblem)
                : new Route.PermanentFailure(EnhancedStatus.UNABLE_TO_ROUTE, "no MX host of " + domain + " has an address: " + lastProblem);
    }

    private Route implicitMx(String domain, Name name) {
        Addresses addresses = addresses(name.toString(true));
        if (!addresses.list().isEmpty()) {
            return new Route.Hosts(List.of(new MxHost(domain, 0, addresses.list(), true)));
        }
        return addresses.temporary()
                ? new Route.TemporaryFailure(EnhancedStatus.DIRECTORY_UNAVAILABLE, "no MX for " + domain + " and " + addresses.problem())
                : new Route.PermanentFailure(EnhancedStatus.UNABLE_TO_ROUTE, "domain " + domain + " has no MX and no address record");
    }

    private Addresses addresses(String host) {
        Name name;
        try {
            name = Name.fromString(host.endsWith(".") ? host : host + ".");
        } catch (TextParseException e) {
            return new Addresses(List.of(), false, "invalid host name " + host);
        }
        List<InetAddress> out = new ArrayList<>();
        boolean temporary = false;
        String problem = "";
        for (int type : new int[] {Type.A, Type.AAAA}) {
            Lookup lookup = run(name, type);
            Record[] answers = lookup.getAnswers();
            switch (lookup.getResult()) {
                case Lookup.SUCCESSFUL -> {
                    for (Record answer : answers) {
                        if (out.size() >= MAX_ADDRESSES_PER_HOST) {
                            break;
                        }
                        if (answer instanceof ARecord a) {
                            out.add(a.getAddress());
                        } else if (answer instanceof AAAARecord aaaa) {
                            out.add(aaaa.getAddress());
                        }
                    }
                }
                case Lookup.TYPE_NOT_FOUND, Lookup.HOST_NOT_FOUND -> problem = host + ": " + lookup.getErrorString();
                default -> {
                    temporary = true;
                    problem = "lookup of " + Type.string(type) + " for " + host + " failed: " + lookup.getErrorString();
                }
            }
        }
        return new Addresses(out, temporary, problem);
    }

    /**
     * Runs a query, once more when it failed for want of an answer (timeout, SERVFAIL, a lost UDP
     * packet): one retry turns a dropped datagram into a delay instead of a deferral.
     */
    private Lookup run(Name name, int type) {
        Lookup lookup = lookup(name, type);
        lookup.run();
        if (lookup.getResult() == Lookup.TRY_AGAIN || lookup.getResult() == Lookup.UNRECOVERABLE) {
            lookup = lookup(name, type);
            lookup.run();
        }
        return lookup;
    }

    private Lookup lookup(Name name, int type) {
        Lookup lookup = new Lookup(name, type, DClass.IN);
        lookup.setResolver(resolver);
        lookup.setCache(cache);
        lookup.setSearchPath((Name[]) null);
        return lookup;
    }

    private record Addresses(List<InetAddress> list, boolean temporary, String problem) {
    }
}
