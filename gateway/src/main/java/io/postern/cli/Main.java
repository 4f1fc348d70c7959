package io.postern.cli;

import io.postern.config.ConfigException;
import io.postern.tls.TlsContexts;
import java.io.PrintWriter;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * The {@code postern} command line. Exit codes: 0 success, 2 usage or configuration error,
 * 1 runtime failure, 3 finished with work left (a drain that timed out, an import that left
 * files behind); every error is one line on stderr.
 */
@Command(name = "postern",
        mixinStandardHelpOptions = true,
        versionProvider = VersionCommand.Provider.class,
        description = "Postern: an LDAP-backed mail gateway (SMTP, LMTP, POP3).",
        subcommands = {ServeCommand.class, DemoCommand.class, CheckConfigCommand.class, VersionCommand.class,
                LookupCommand.class, AuthTestCommand.class, QueueCommand.class,
                CommandLine.HelpCommand.class})
public final class Main implements Runnable {
    public static final int EXIT_OK = 0;
    public static final int EXIT_RUNTIME = 1;
    public static final int EXIT_USAGE = 2;
    public static final int EXIT_INCOMPLETE = 3;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    public static void main(String[] args) {
        // Before anything can run a TLS handshake: the JDK reads this switch only once.
        TlsContexts.rejectClientRenegotiation();
        System.exit(run(args));
    }

    /** Runs the CLI without exiting the JVM (tests use this). */
    public static int run(String... args) {
        return commandLine().execute(args);
    }

    static CommandLine commandLine() {
        CommandLine cli = new CommandLine(new Main());
        cli.setExecutionExceptionHandler(Main::handleFailure);
        addHelpOption(cli);
        return cli;
    }

    /**
     * Gives every subcommand, at any depth, {@code -h}/{@code --help}: help options skip the
     * checks of required parameters, so {@code postern lookup --help} prints help (exit 0) instead
     * of "Missing required parameter".
     */
    private static void addHelpOption(CommandLine cli) {
        for (CommandLine sub : cli.getSubcommands().values()) {
            var spec = sub.getCommandSpec();
            if (spec.optionsMap().get("--help") == null && spec.optionsMap().get("-h") == null) {
                spec.addOption(CommandLine.Model.OptionSpec.builder("-h", "--help").usageHelp(true)
                        .description("Show this help message and exit.").build());
            }
            addHelpOption(sub);
        }
    }

    private static int handleFailure(Exception e, CommandLine cli, CommandLine.ParseResult parsed) {
        PrintWriter err = cli.getErr();
        if (e instanceof ConfigException config) {
            config.problems().forEach(err::println);
            return EXIT_USAGE;
        }
        err.println("postern: " + oneLine(e));
        return EXIT_RUNTIME;
    }

    static String oneLine(Throwable e) {
        String message = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
        return message.replace('\n', ' ');
    }

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }
}
