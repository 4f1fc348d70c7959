package io.postern.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class MainTest {
    @TempDir
    Path dir;

    private record Run(int exit, String out, String err) {
    }

    private static Run run(String... args) {
        CommandLine cli = Main.commandLine();
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        cli.setOut(new PrintWriter(out, true));
        cli.setErr(new PrintWriter(err, true));
        int exit = cli.execute(args);
        return new Run(exit, out.toString(), err.toString());
    }

    @Test
    void helpListsTheCommands() {
        Run run = run("--help");
        assertThat(run.exit()).isZero();
        assertThat(run.out()).contains("serve", "demo", "check-config", "version");
    }

    @Test
    void checkConfigPrintsEveryProblemOnItsOwnLineAndExits2() throws Exception {
        Path file = Files.writeString(dir.resolve("bad.yaml"), """
                listeners:
                  - { kind: mx, port: 70000 }
                directory:
                  urls: [http://dc1.example.com]
                  baseDn: dc=example,dc=com
                relay:
                  openRelay: true
                """);
        Run run = run("check-config", file.toString());
        assertThat(run.exit()).isEqualTo(2);
        assertThat(run.err().lines().toList()).containsExactly(
                "listeners[0].port: 70000 is not a port (1-65535)",
                "directory.urls[0]: unsupported scheme 'http' (ldap or ldaps)",
                "relay.openRelay: unknown key");
    }

    @Test
    void checkConfigAcceptsTheDemoConfiguration() throws Exception {
        Path file = dir.resolve("demo.yaml");
        try (var in = Main.class.getResourceAsStream(DemoCommand.CONFIG_RESOURCE)) {
            Files.write(file, in.readAllBytes());
        }
        Run run = run("check-config", file.toString());
        assertThat(run.err()).isEmpty();
        assertThat(run.exit()).isZero();
        assertThat(run.out()).contains("ok (role all, 6 listeners, directory profile openldap)");
    }

    @Test
    void missingFileIsAConfigurationError() {
        Run run = run("check-config", dir.resolve("nope.yaml").toString());
        assertThat(run.exit()).isEqualTo(2);
        assertThat(run.err()).contains("nope.yaml: cannot read");
    }

    @Test
    void usageErrorsExit2() {
        assertThat(run("serve").exit()).isEqualTo(2);
        assertThat(run("no-such-command").exit()).isEqualTo(2);
    }

    @Test
    void badRoleIsAUsageError() throws Exception {
        Path file = dir.resolve("demo.yaml");
        try (var in = Main.class.getResourceAsStream(DemoCommand.CONFIG_RESOURCE)) {
            Files.write(file, in.readAllBytes());
        }
        Run run = run("serve", "--config", file.toString(), "--role", "boss");
        assertThat(run.exit()).isEqualTo(2);
        assertThat(run.err()).contains("--role: 'boss' is not one of front, delivery, all");
    }

    /** Issue 16: every subcommand, at any depth, answers --help with its help, not with a missing parameter. */
    @Test
    void everySubcommandPrintsItsHelp() {
        List<List<String>> commands = new java.util.ArrayList<>();
        collect(Main.commandLine(), List.of(), commands);
        assertThat(commands).as("subcommands found").hasSizeGreaterThan(10)
                .contains(List.of("lookup"), List.of("auth-test"), List.of("queue", "show"));
        for (List<String> command : commands) {
            for (String help : List.of("--help", "-h")) {
                List<String> args = new java.util.ArrayList<>(command);
                args.add(help);
                Run run = run(args.toArray(String[]::new));
                assertThat(run.exit()).as(args + ": " + run.err()).isZero();
                assertThat(run.err()).as(String.valueOf(args)).isEmpty();
                assertThat(run.out()).as(String.valueOf(args)).startsWith("Usage: postern " + String.join(" ", command));
            }
        }
    }

    private static void collect(picocli.CommandLine cli, List<String> prefix, List<List<String>> out) {
        cli.getSubcommands().forEach((name, sub) -> {
            List<String> command = new java.util.ArrayList<>(prefix);
            command.add(name);
            if (!name.equals("help")) {
                out.add(command);
            }
            collect(sub, command, out);
        });
    }

    @Test
    void versionNamesPosternAndJava() {
        Run run = run("version");
        assertThat(run.exit()).isZero();
        assertThat(run.out()).contains("postern ").contains("java 25");
    }
}
