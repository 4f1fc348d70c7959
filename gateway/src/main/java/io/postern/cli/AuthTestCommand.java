package io.postern.cli;

import io.postern.directory.Login;
import io.postern.directory.ldap.DirectoryTrace;
import java.io.BufferedReader;
import java.io.Console;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;

/**
 * {@code postern auth-test --config FILE LOGIN}: checks a login the way POP3 and SMTP AUTH do
 * (search, then bind as the user) and tells the operator why it failed (unknown user, wrong
 * password, disabled, locked, expired, with Active Directory's data code), which a network client
 * never learns. The password comes from a prompt on a terminal, else the first line of stdin; it
 * is never printed. A service account that cannot bind is reported as such before the user's
 * password is sent anywhere. Exit 0 ok, 1 failed, 75 directory unavailable (including a service
 * account that cannot bind).
 */
@Command(name = "auth-test", description = {
        "Check a login against the directory and explain the outcome",
        "(like doveadm auth test).",
        "The password is asked for on a terminal. Without a terminal,",
        "it is read from standard input (the first line), for example:",
        "  postern auth-test --config postern.yaml alice@example.test < pw-file",
        "Exit status: 0 ok, 1 login refused, 75 directory unavailable",
        "(or the service account cannot bind), 2 bad usage."})
final class AuthTestCommand implements Callable<Integer> {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Mixin
    DirectoryCommandSupport support;

    @Parameters(paramLabel = "LOGIN", description = "mail address, userPrincipalName, sAMAccountName, DOMAIN\\\\name or uid")
    String login;

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        String password = readPassword();
        try (DirectoryCommandSupport.Session session = support.open(spec.commandLine())) {
            var directory = session.directory();
            out.println("profile:  " + directory.profileName());
            out.println("servers:  " + directory.servers());
            var service = directory.serviceAccountProblem();
            if (service.isPresent()) {
                out.println("result:   cannot check any login: " + service.get()
                        + " (the password of " + login + " was not tried)");
                return DirectoryCommandSupport.EXIT_TEMPFAIL;
            }
            DirectoryTrace trace = DirectoryTrace.recording();
            Login result = directory.authenticate(login, password, trace);
            out.println("steps:");
            trace.lines().forEach(line -> out.println("  " + line));
            return switch (result) {
                case Login.Succeeded s -> {
                    out.println("result:   ok: " + s.identity().login() + " is " + s.identity().dn() + ", mailbox "
                            + s.identity().primaryAddress());
                    yield Main.EXIT_OK;
                }
                case Login.Failed f -> {
                    out.println("result:   failed: " + reason(f.reason())
                            + " (the client only sees an authentication failure)");
                    yield Main.EXIT_RUNTIME;
                }
                case Login.TempFail t -> {
                    out.println("result:   try again later: " + t.reason());
                    yield DirectoryCommandSupport.EXIT_TEMPFAIL;
                }
            };
        } finally {
            out.flush();
        }
    }

    static String reason(Login.Reason reason) {
        return switch (reason) {
            case UNKNOWN_USER -> "unknown user";
            case WRONG_PASSWORD -> "wrong password";
            case DISABLED -> "account disabled";
            case LOCKED -> "account locked";
            case EXPIRED -> "password or account expired";
            case EMPTY_PASSWORD -> "empty password (refused before binding)";
            case INVALID_LOGIN -> "invalid login (empty, too long, control characters, or ambiguous)";
        };
    }

    private String readPassword() throws IOException {
        Console console = System.console();
        if (console != null && console.isTerminal()) {
            char[] typed = console.readPassword("password for %s: ", login);
            return typed == null ? "" : new String(typed);
        }
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        String line = in.readLine();
        return line == null ? "" : line;
    }
}
