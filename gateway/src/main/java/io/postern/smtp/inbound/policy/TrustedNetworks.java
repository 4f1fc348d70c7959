package io.postern.smtp.inbound.policy;

import io.postern.config.Cidr;
import io.postern.config.RelayConfig;
import io.postern.directory.Directory;
import io.postern.directory.Lookup;
import io.postern.directory.NetworkSource;
import java.net.InetAddress;
import java.util.List;
import java.util.Optional;

/**
 * The trusted relay networks: those of the file ({@code relay.trustedNetworks}) merged with
 * those the directory lists on one entry ({@code relay.trustedNetworksFrom}, through the cache,
 * so a change of the entry applies within change tracking's delay). The file is asked first and
 * never waits on the directory; the directory's answer may block (call it off the event loop).
 * Immutable, thread-safe.
 */
public record TrustedNetworks(RelayConfig relay, Directory directory) {

    /** These networks over the directory's in-memory view: never blocks, throws {@link io.postern.directory.NotInMemory} instead. */
    public Optional<TrustedNetworks> inMemory() {
        return directory.inMemory().map(memory -> new TrustedNetworks(relay, memory));
    }

    /**
     * Whether {@code client} is trusted: {@code Found(true)} by the file or the directory,
     * {@code Found(false)} by neither, {@code TempFail} when only the directory could have said
     * yes and cannot answer now.
     */
    public Lookup<Boolean> trusts(InetAddress client) {
        if (relay.trusts(client)) {
            return Lookup.found(true);
        }
        Optional<NetworkSource> source = RelayQuestions.networks(relay);
        if (source.isEmpty()) {
            return Lookup.found(false);
        }
        return switch (directory.trustedNetworks(source.get())) {
            case Lookup.TempFail<List<Cidr>> t -> Lookup.tempFail(t.reason());
            case Lookup.Found<List<Cidr>>(List<Cidr> networks) ->
                    Lookup.found(networks.stream().anyMatch(n -> n.contains(client)));
        };
    }

    /** Trusted, with a directory that cannot answer counted as not trusted (closed). */
    public boolean trustsOrClosed(InetAddress client) {
        return trusts(client) instanceof Lookup.Found<Boolean>(Boolean yes) && yes;
    }
}
