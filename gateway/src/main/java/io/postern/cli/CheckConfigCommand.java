package io.postern.cli;

import io.postern.config.ConfigLoader;
import io.postern.config.PosternConfig;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/** {@code postern check-config FILE}: prints every problem in the file and exits 2, or a summary and 0. */
@Command(name = "check-config", description = "Check a configuration file and print every problem in it.")
final class CheckConfigCommand implements Callable<Integer> {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Parameters(paramLabel = "FILE", description = "the YAML configuration file")
    Path file;

    @Override
    public Integer call() {
        PosternConfig config = ConfigLoader.withSystemEnvironment().load(file);
        spec.commandLine().getOut().printf("%s: ok (role %s, %d listeners, directory profile %s)%n",
                file, config.node().role().name().toLowerCase(java.util.Locale.ROOT), config.listeners().size(),
                config.directory().profile().name().toLowerCase(java.util.Locale.ROOT).replace('_', '-'));
        spec.commandLine().getOut().println(config.relay().summary());
        return Main.EXIT_OK;
    }
}
