package io.postern.cli;

import io.postern.config.ConfigLoader;
import io.postern.config.DirectoryConfig;
import io.postern.config.EmbeddedDirectoryConfig;
import io.postern.config.PosternConfig;
import io.postern.directory.ldap.EmbeddedDirectoryServer;
import io.postern.directory.ldap.LdapDirectory;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import picocli.CommandLine.Option;

/**
 * The options and set-up shared by {@code lookup} and {@code auth-test}: a configuration file (or
 * the demo's), and a directory connection. A configuration with an embedded directory gets a
 * private copy of it on an ephemeral loopback port, loaded from the same LDIF, so the commands
 * work whether or not the demo runs. Mutable (picocli fills the fields), one command at a time.
 */
final class DirectoryCommandSupport {
    /** sysexits.h EX_TEMPFAIL: the directory could not answer, try again. */
    static final int EXIT_TEMPFAIL = 75;

    @Option(names = "--config", paramLabel = "FILE", description = "the YAML configuration file")
    Path config;

    @Option(names = "--demo", description = "use the demo's configuration and directory (ldif/demo.ldif)")
    boolean demo;

    /** An open directory and, when the configuration has one, the private embedded server behind it. */
    record Session(PosternConfig config, LdapDirectory directory, Optional<EmbeddedDirectoryServer> embedded)
            implements AutoCloseable {
        @Override
        public void close() {
            directory.close();
            embedded.ifPresent(EmbeddedDirectoryServer::close);
        }
    }

    Session open(picocli.CommandLine cli) throws IOException {
        PosternConfig loaded;
        if (demo) {
            loaded = DemoCommand.load(DemoCommand.home());
        } else if (config != null) {
            loaded = ConfigLoader.withSystemEnvironment().load(config);
        } else {
            throw new picocli.CommandLine.ParameterException(cli, "--config FILE or --demo is required");
        }
        DirectoryConfig directoryConfig = loaded.directory();
        Optional<EmbeddedDirectoryServer> embedded = Optional.empty();
        if (directoryConfig.embedded().isPresent()) {
            EmbeddedDirectoryConfig e = directoryConfig.embedded().get();
            EmbeddedDirectoryServer server = EmbeddedDirectoryServer.start(
                    new EmbeddedDirectoryConfig(e.ldif(), e.address(), 0, e.bindDn(), e.bindPassword()),
                    directoryConfig.baseDn());
            embedded = Optional.of(server);
            directoryConfig = directoryConfig.withUrls(List.of(URI.create(server.url())));
        }
        try {
            return new Session(loaded, LdapDirectory.connect(directoryConfig, loaded.domains()), embedded);
        } catch (IOException | RuntimeException e) {
            embedded.ifPresent(EmbeddedDirectoryServer::close);
            throw e;
        }
    }
}
