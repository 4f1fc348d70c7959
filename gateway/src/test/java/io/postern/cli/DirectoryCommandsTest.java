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
        assertThat(r.out()).contains("decision: unknown nobody@example.test (550 5.1.1 in a local domain)");
        assertThat(run("", "lookup", "--demo", "not an address").exit()).isEqualTo(2);
        assertThat(run("", "lookup", "info@example.test").exit()).isEqualTo(2);
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
