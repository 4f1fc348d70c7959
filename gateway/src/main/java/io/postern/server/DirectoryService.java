package io.postern.server;

import io.postern.config.PosternConfig;
import io.postern.directory.Directory;
import io.postern.directory.cache.CachingDirectory;
import io.postern.directory.ldap.ChangeTracker;
import io.postern.directory.ldap.EmbeddedDirectoryServer;
import io.postern.directory.ldap.LdapDirectory;
import io.postern.observability.ReadinessCheck;
import io.micrometer.core.instrument.MeterRegistry;
import java.net.URI;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.function.Consumer;

/**
 * The directory every part of a node asks: the LDAP adapter (pointed at the embedded in-memory
 * server when the configuration has one) behind the cache, kept fresh by change tracking. A test
 * may give its own {@link Directory} instead; then nothing here talks LDAP. {@code onRecovery}
 * registers what runs when the directory answers again after an outage.
 */
record DirectoryService(Directory directory, ReadinessCheck readiness, Consumer<Runnable> onRecovery) {

    static DirectoryService start(PosternConfig config, Optional<Directory> given, MeterRegistry registry,
                                  Resources resources) throws Exception {
        if (given.isPresent()) {
            return new DirectoryService(given.get(), new AlwaysReady("directory"), listener -> { });
        }
        var directoryConfig = config.directory();
        Optional<EmbeddedDirectoryServer> embedded = Optional.empty();
        if (directoryConfig.embedded().isPresent()) {
            embedded = Optional.of(resources.add(
                    EmbeddedDirectoryServer.start(directoryConfig.embedded().get(), directoryConfig.baseDn())));
            directoryConfig = directoryConfig.withUrls(List.of(URI.create(embedded.get().url())));
        }
        LdapDirectory ldap = resources.add(LdapDirectory.connect(directoryConfig, config.domains(), registry));
        CachingDirectory cached = resources.add(CachingDirectory.wrap(ldap, config.cache(), Set.copyOf(config.domains()), registry));
        // The embedded directory runs in this process: its changes reach the cache as they are made.
        var mapping = directoryConfig.mapping();
        embedded.ifPresent(server -> server.publishChangesTo(mapping, cached));
        resources.add(ChangeTracker.start(ldap, config.cache(), cached));
        return new DirectoryService(cached, cached.readiness(ldap::unhealthy), cached.health()::onRecovery);
    }

    /** Readiness of a directory the caller vouches for (tests). */
    private record AlwaysReady(String name) implements ReadinessCheck {
        @Override
        public Status check() {
            return Status.ok();
        }
    }
}
