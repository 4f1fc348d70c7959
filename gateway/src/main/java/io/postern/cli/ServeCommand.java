package io.postern.cli;

import io.postern.config.ConfigLoader;
import io.postern.config.PosternConfig;
import io.postern.config.Role;
import io.postern.server.PosternServer;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code postern serve}: runs a node in the foreground until SIGTERM or SIGINT. */
@Command(name = "serve", description = "Run a Postern node in the foreground until SIGTERM.")
final class ServeCommand implements Callable<Integer> {
    @Option(names = "--config", required = true, paramLabel = "FILE", description = "the YAML configuration file")
    Path configFile;

    @Option(names = "--role", paramLabel = "ROLE", description = "front, delivery or all (overrides node.role)")
    String role;

    @Override
    public Integer call() throws Exception {
        PosternConfig config = ConfigLoader.withSystemEnvironment().load(configFile);
        if (role != null) {
            config = RoleOption.apply(config, role);
        }
        PosternConfig started = config;
        return Foreground.run(() -> PosternServer.start(started), null);
    }

    /** Parses {@code --role}; a bad value is a usage error (exit 2). */
    static final class RoleOption {
        private RoleOption() {
        }

        static PosternConfig apply(PosternConfig config, String text) {
            Role parsed;
            try {
                parsed = Role.valueOf(text.toUpperCase(java.util.Locale.ROOT));
            } catch (IllegalArgumentException e) {
                throw new io.postern.config.ConfigException("--role: '" + text + "' is not one of front, delivery, all");
            }
            return config.withRole(parsed);
        }
    }
}
