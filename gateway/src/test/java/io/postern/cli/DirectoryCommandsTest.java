package io.postern.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** {@code postern lookup} and {@code postern auth-test} on the demo's directory (a private in-memory copy). */
class DirectoryCommandsTest {
    static String home;

    @BeforeAll
    static void demoHome() {
        home = System.getProperty("postern.home");
        System.setProperty("postern.home", Path.of("..").toAbsolutePath().normalize().toString());
    }

    @AfterAll
    static void restore() {
        if (home == null) {
            System.clearProperty("postern.home");
        } else {
            System.setProperty("postern.home", home);
        }
    }

    record Run(int exit, String out, String err) {
    }

    static Run run(String stdin, String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        var cli = Main.commandLine();
        cli.setOut(new PrintWriter(out));
        cli.setErr(new PrintWriter(err));
        InputStream saved = System.in;
        System.setIn(new ByteArrayInputStream(stdin.getBytes(StandardCharsets.UTF_8)));
        try {
            int exit = cli.execute(args);
            return new Run(exit, out.toString(), err.toString());
        } finally {
            System.setIn(saved);
        }
    }

    @Test
    void lookupExplainsAnAlias() {
        Run r = run("", "lookup", "--demo", "info@example.test");
        assertThat(r.exit()).as(r.err()).isZero();
        assertThat(r.out()).contains("profile:  openldap")
                .contains("filter=(&(objectClass=inetOrgPerson)(|(mail=info@example.test)(posternAlternateAddress=info@example.test)))")
                .contains("alias cn=info,ou=aliases,dc=example,dc=test")
                .contains("decision: alias info@example.test -> [alice@example.test]")
                .contains("mailboxes: alice@example.test")
                .contains("domain:   example.test is local");
    }

    @Test
    void lookupExplainsAGroupAndItsTree() {
        Run r = run("", "lookup", "--demo", "team+news@example.test");
        assertThat(r.exit()).isZero();
        assertThat(r.out()).contains("subaddress: not found as is, trying team@example.test")
                .contains("member uid=bob,ou=people,dc=example,dc=test <bob@example.test>")
                .contains("mailboxes: alice@example.test, bob@example.test");
        assertThat(run("", "lookup", "--demo", "postmaster@example.test").out())
                .contains("mailboxes: alice@example.test");
    }

    @Test
    void lookupOfAnUnknownAddressExitsOne() {
        Run r = run("", "lookup", "--demo", "nobody@example.test");
        assertThat(r.exit()).isEqualTo(1);
        assertThat(r.out()).contains("decision: unknown nobody@example.test (550 5.1.1)");
        assertThat(run("", "lookup", "--demo", "not an address").exit()).isEqualTo(2);
        assertThat(run("", "lookup", "info@example.test").exit()).isEqualTo(2);
    }

    /** Issue 16: a domain that is not local is said so, and is not "unknown ... in a local domain". */
    @Test
    void lookupOfANonLocalAddressSaysSo() {
        Run r = run("", "lookup", "--demo", "someone@elsewhere.example.org");
        assertThat(r.exit()).isEqualTo(1);
        assertThat(r.out()).contains("domain:   elsewhere.example.org is not local")
                .contains("decision: not a local address").doesNotContain("unknown").doesNotContain("local domain)");
    }

    /** Issue 16: the delivery's expander decides, with its limits: a group deeper than allowed is refused (77). */
    @Test
    void lookupRunsTheDeliveryExpanderWithItsLimits(@org.junit.jupiter.api.io.TempDir Path dir) throws Exception {
        Path config = java.nio.file.Files.writeString(dir.resolve("postern.yaml"), """
                listeners:
                  - { kind: mx, port: 2525 }
                directory:
                  baseDn: dc=example,dc=test
                  embedded: { ldif: %s }
                domains: [example.test]
                delivery: { maxExpandedRecipients: 1 }
                """.formatted(Path.of("..").toAbsolutePath().normalize().resolve("ldif/demo.ldif")));
        Run team = run("", "lookup", "--config", config.toString(), "team@example.test");
        assertThat(team.exit()).as(team.out() + team.err()).isEqualTo(LookupCommand.EXIT_REFUSED);
        assertThat(team.out()).contains("problem:  team@example.test: 5.5.3 expands to more than 1 recipients")
                .contains("decision: refused (5.5.3");
        assertThat(run("", "lookup", "--config", config.toString(), "alice@example.test").exit()).isZero();
    }

    /** Issue 16: a directory that does not answer is "try again later", exit 75. */
    @Test
    void lookupWithTheDirectoryDownExits75(@org.junit.jupiter.api.io.TempDir Path dir) throws Exception {
        int closed;
        try (var socket = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            closed = socket.getLocalPort();
        }
        Path config = java.nio.file.Files.writeString(dir.resolve("postern.yaml"), """
                listeners:
                  - { kind: mx, port: 2525 }
                directory:
                  urls: [ldap://127.0.0.1:%d]
                  baseDn: dc=example,dc=test
                  connectTimeout: 1s
                domains: [example.test]
                """.formatted(closed));
        Run r = run("", "lookup", "--config", config.toString(), "alice@example.test");
        assertThat(r.exit()).as(r.out() + r.err()).isEqualTo(75);
        assertThat(r.out()).contains("decision: try again later");
    }

    /** Issue 16: a service account that cannot bind is its own problem, never the user's wrong password. */
    @Test
    void aServiceAccountThatCannotBindIsReportedAsSuch(@org.junit.jupiter.api.io.TempDir Path dir) throws Exception {
        Path config = java.nio.file.Files.writeString(dir.resolve("postern.yaml"), """
                listeners:
                  - { kind: mx, port: 2525 }
                directory:
                  baseDn: dc=example,dc=test
                  bindDn: cn=admin,dc=example,dc=test
                  bindPassword: not-the-admin-password
                  embedded: { ldif: %s }
                domains: [example.test]
                """.formatted(Path.of("..").toAbsolutePath().normalize().resolve("ldif/demo.ldif")));
        Run r = run("alice-pw\n", "auth-test", "--config", config.toString(), "alice@example.test");
        assertThat(r.exit()).as(r.out() + r.err()).isEqualTo(75);
        assertThat(r.out()).contains("the service account cn=admin,dc=example,dc=test cannot bind (invalid credentials (49)")
                .contains("check directory.bindDn and directory.bindPassword").doesNotContain("wrong password");
        Run lookup = run("", "lookup", "--config", config.toString(), "alice@example.test");
        assertThat(lookup.exit()).isEqualTo(75);
        assertThat(lookup.out()).contains("the service account cn=admin,dc=example,dc=test cannot bind");
    }

    @Test
    void authTestHelpSaysWhereThePasswordComesFrom() {
        Run r = run("", "auth-test", "--help");
        assertThat(r.exit()).isZero();
        assertThat(r.out()).contains("Without a terminal,", "it is read from standard input (the first line)");
    }

    @Test
    void authTestSaysOkOrWhyNot() {
        Run ok = run("alice-pw\n", "auth-test", "--demo", "alice@example.test");
        assertThat(ok.exit()).as(ok.err()).isZero();
        assertThat(ok.out()).contains("result:   ok: alice@example.test is uid=alice,ou=people,dc=example,dc=test")
                .doesNotContain("alice-pw");
        Run wrong = run("nope\n", "auth-test", "--demo", "bob");
        assertThat(wrong.exit()).isEqualTo(1);
        assertThat(wrong.out()).contains("result:   failed: wrong password").contains("invalid credentials (49)");
        assertThat(run("x\n", "auth-test", "--demo", "mallory").out()).contains("failed: unknown user");
        assertThat(run("\n", "auth-test", "--demo", "alice").out()).contains("failed: empty password");
    }
}
