package io.postern.directory.ldap;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;

import io.postern.config.PosternConfig;
import io.postern.directory.Login;
import io.postern.directory.Lookup;
import io.postern.directory.Recipient;
import io.postern.mail.MailAddress;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Filter metacharacters, NUL, relay characters, quotes, very long strings and non-ASCII in
 * addresses, logins and domains match nothing they should not and never throw, on both profiles.
 */
class LdapDirectoryBadInputTest {
    static InMemoryDirectory openldap;
    static InMemoryDirectory ad;
    static LdapDirectory openldapDirectory;
    static LdapDirectory adDirectory;

    /** Local parts / logins that an attacker would try; "alice" appears in several to tempt a match. */
    static List<String> hostile() {
        return List.of("*", "alice*", "*alice", "al*ce", "*)(mail=*", "alice)(|(mail=*", "(", ")", "()", "\\",
                "alice\\2a", "\\2a", "alice\u0000", "\u0000", "a\u0000*", "%", "alice%example.test", "!", "alice!x",
                "\"alice\"", "'alice'", "\"*\"", "alice\"", "a".repeat(65), "a".repeat(10_000),
                "\u00e5lice", "\u0430lice", "\u00e9\u00e8\u4e2d\u6587", "\uD83D\uDCE7", "alice\r\n", "alice ",
                " alice", "uid=alice,ou=people,dc=example,dc=test", "cn=admin,dc=example,dc=test", "ADEX\\*",
                "ADEX\\asmith)(x", "*@example.test", "smtp:*", "SMTP:alice.smith@example.test");
    }

    static List<String> domains() {
        return List.of("*", "example.*", "example.test)(x", "(", ")", "\\", "exa\u0000mple.test", "%", "!", "\"",
                "x".repeat(10_000), "\u00e9xample.test", "");
    }

    @BeforeAll
    static void start() throws Exception {
        openldap = InMemoryDirectory.openldap("openldap/sample.ldif");
        ad = InMemoryDirectory.activeDirectory();
        PosternConfig o = openldap.openldapConfig("domainsFromDirectory: true");
        openldapDirectory = LdapDirectory.connect(o.directory(), o.domains());
        PosternConfig a = ad.activeDirectoryConfig("");
        adDirectory = LdapDirectory.connect(a.directory(), a.domains());
    }

    @AfterAll
    static void stop() {
        openldapDirectory.close();
        adDirectory.close();
        openldap.close();
        ad.close();
    }

    static List<LdapDirectory> both() {
        return List.of(openldapDirectory, adDirectory);
    }

    @ParameterizedTest
    @MethodSource("hostile")
    void hostileLocalPartsAreUnknown(String localPart) {
        for (LdapDirectory directory : both()) {
            Lookup<Recipient> answer = directory.resolve(new MailAddress(localPart, "example.test"));
            assertThat(answer).as(directory.profileName() + " " + printable(localPart))
                    .isEqualTo(Lookup.found(new Recipient.Unknown(new MailAddress(localPart, "example.test"))));
        }
    }

    @ParameterizedTest
    @MethodSource("hostile")
    void hostileLoginsNeverSucceedWithARealPassword(String login) {
        List<String> passwords = new ArrayList<>(List.of("alice-pw", "Alice-Passw0rd", "admin-pw", "*", "\u0000"));
        for (LdapDirectory directory : both()) {
            for (String password : passwords) {
                Login result = directory.authenticate(login, password);
                assertThat(result).as(directory.profileName() + " " + printable(login)).isInstanceOf(Login.Failed.class);
            }
        }
    }

    @ParameterizedTest
    @MethodSource("domains")
    void hostileDomainsAreNotLocalAndNeverThrow(String domain) {
        for (LdapDirectory directory : both()) {
            assertThat(directory.isLocalDomain(domain)).as(printable(domain)).isEqualTo(Lookup.found(false));
            assertThatCode(() -> directory.resolve(new MailAddress("alice", domain))).doesNotThrowAnyException();
        }
    }

    @ParameterizedTest
    @MethodSource("hostile")
    void hostileSendersAreNotOwnedByAlice(String localPart) {
        Login.Identity alice = new Login.Identity("alice", "uid=alice,ou=people,dc=example,dc=test",
                MailAddress.parse("alice@example.test").orElseThrow());
        assertThat(openldapDirectory.maySendAs(alice, new MailAddress(localPart, "example.test")))
                .isEqualTo(Lookup.found(false));
    }

    private static String printable(String s) {
        String shown = s.length() > 40 ? s.substring(0, 40) + "...(" + s.length() + ")" : s;
        return shown.replace("\u0000", "<NUL>").replace("\r", "<CR>").replace("\n", "<LF>");
    }
}
