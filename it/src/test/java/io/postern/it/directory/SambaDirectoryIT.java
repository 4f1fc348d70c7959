package io.postern.it.directory;

import static io.postern.it.directory.DirectoryItSupport.a;
import static io.postern.it.directory.DirectoryItSupport.resolve;
import static org.assertj.core.api.Assertions.assertThat;

import io.postern.directory.Login;
import io.postern.directory.Lookup;
import io.postern.directory.Recipient;
import io.postern.directory.ldap.DirectoryTrace;
import io.postern.directory.ldap.LdapDirectory;
import io.postern.it.servers.SambaDc;
import io.postern.mail.MailAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The active-directory profile against a real Samba AD DC (provisioned once for the class):
 * proxyAddresses, a disabled user, nested and looping groups through the in-chain rule (paged)
 * and iteratively, UPN / sAMAccountName / DOMAIN\name logins, AD's bind data codes, the Global
 * Catalog port, referrals from the domain root ignored, and hostile input.
 */
class SambaDirectoryIT {
    @TempDir
    static Path dir;
    static SambaDc ad;
    static LdapDirectory directory;

    static String yaml(String url, String extra) {
        return """
                profile: active-directory
                urls: [%s]
                baseDn: %s
                bindDn: %s
                bindPassword: "%s"
                connectTimeout: 3s
                responseTimeout: 5s
                pageSize: 2
                """.formatted(url, SambaDc.BASE_DN, ad.bindDn(), ad.password()) + extra;
    }

    static String unicodePwd(String password) {
        return Base64.getEncoder().encodeToString(("\"" + password + "\"").getBytes(StandardCharsets.UTF_16LE));
    }

    @BeforeAll
    static void start() throws Exception {
        long t0 = System.nanoTime();
        ad = SambaDc.start(dir.resolve("samba"));
        long t1 = System.nanoTime();
        ad.load(DirectoryItSupport.repo("ldif/active-directory/sample.ldif"));
        String ou = "OU=Postern," + SambaDc.BASE_DN;
        Path extra = dir.resolve("extra.ldif");
        Files.writeString(extra, """
                dn: CN=Erin Expired,%1$s
                objectClass: user
                sAMAccountName: eexpired
                userPrincipalName: eexpired@ad.example.test
                mail: erin@example.test
                unicodePwd:: %2$s
                userAccountControl: 512
                accountExpires: 1

                dn: CN=Fred Change,%1$s
                objectClass: user
                sAMAccountName: fchange
                userPrincipalName: fchange@ad.example.test
                mail: fred@example.test
                unicodePwd:: %3$s
                userAccountControl: 512
                pwdLastSet: 0

                dn: CN=Gina Locked,%1$s
                objectClass: user
                sAMAccountName: glocked
                userPrincipalName: glocked@ad.example.test
                mail: gina@example.test
                unicodePwd:: %4$s
                userAccountControl: 512

                dn: %5$s
                changetype: modify
                replace: lockoutThreshold
                lockoutThreshold: 3
                -
                """.formatted(ou, unicodePwd("Erin-Passw0rd"), unicodePwd("Fred-Passw0rd"), unicodePwd("Gina-Passw0rd"),
                SambaDc.BASE_DN));
        ad.load(extra);
        System.out.printf("directory-it: samba provisioned and started in %d ms, sample loaded in %d ms%n",
                (t1 - t0) / 1_000_000, (System.nanoTime() - t1) / 1_000_000);
        directory = DirectoryItSupport.connect(yaml(ad.url(), ""));
    }

    @AfterAll
    static void stop() throws Exception {
        if (directory != null) {
            directory.close();
        }
        if (ad != null) {
            ad.close();
        }
    }

    @Test
    void proxyAddressesReachThePrimaryMailbox() {
        for (String address : List.of("alice.smith@example.test", "asmith@example.test", "ALICE@example.test",
                "Alice.Smith@Example.Test", "asmith+news@example.test")) {
            assertThat(resolve(directory, address)).as(address).isInstanceOfSatisfying(Recipient.Mailbox.class,
                    m -> assertThat(m.address()).isEqualTo(a("alice.smith@example.test")));
        }
        assertThat(resolve(directory, "carol@example.test")).isInstanceOfSatisfying(Recipient.Mailbox.class,
                m -> assertThat(m.address()).isEqualTo(a("carol.white@example.test")));
        assertThat(resolve(directory, "nobody@example.test")).isInstanceOf(Recipient.Unknown.class);
    }

    @Test
    void disabledUserIsAMailboxMarkedDisabled() {
        assertThat(resolve(directory, "dave.gone@example.test")).isInstanceOfSatisfying(Recipient.Mailbox.class,
                m -> assertThat(m.disabled()).isTrue());
    }

    @Test
    void nestedGroupsThroughTheInChainRulePaged() {
        DirectoryTrace trace = DirectoryTrace.recording();
        Lookup<Recipient> all = directory.resolve(a("all@example.test"), trace);
        assertThat(all).isInstanceOfSatisfying(Lookup.Found.class, f -> assertThat(f.value()).isInstanceOfSatisfying(
                Recipient.Group.class, g -> assertThat(g.members()).containsExactlyInAnyOrder(
                        a("alice.smith@example.test"), a("partner@elsewhere.test"), a("bob.jones@example.test"))));
        assertThat(String.join("\n", trace.lines())).contains("1.2.840.113556.1.4.1941").contains(" pages)")
                .doesNotContain("(paged, 1 page)");
        assertThat(resolve(directory, "loop-a@example.test")).isInstanceOfSatisfying(Recipient.Group.class,
                g -> assertThat(g.members()).containsExactlyInAnyOrder(a("bob.jones@example.test"),
                        a("carol.white@example.test")));
        assertThat(resolve(directory, "security@example.test")).isInstanceOfSatisfying(Recipient.Group.class,
                g -> assertThat(g.members()).containsExactly(a("carol.white@example.test")));
    }

    @Test
    void nestedGroupsIteratively() throws Exception {
        try (LdapDirectory iterative = DirectoryItSupport.connect(yaml(ad.url(), "groups: { expansion: iterative }"))) {
            assertThat(resolve(iterative, "all@example.test")).isInstanceOfSatisfying(Recipient.Group.class,
                    g -> assertThat(g.members()).containsExactlyInAnyOrder(a("alice.smith@example.test"),
                            a("partner@elsewhere.test"), a("bob.jones@example.test")));
            assertThat(resolve(iterative, "loop-b@example.test")).isInstanceOfSatisfying(Recipient.Group.class,
                    g -> assertThat(g.members()).containsExactlyInAnyOrder(a("bob.jones@example.test"),
                            a("carol.white@example.test")));
        }
    }

    @Test
    void loginsByUpnSamAccountNameDomainNameAndMail() {
        for (String login : List.of("asmith@ad.example.test", "asmith", "ADEX\\asmith", "alice.smith@example.test",
                "asmith@example.test")) {
            assertThat(directory.authenticate(login, "Alice-Passw0rd")).as(login)
                    .isInstanceOfSatisfying(Login.Succeeded.class, s -> assertThat(s.identity().primaryAddress())
                            .isEqualTo(a("alice.smith@example.test")));
        }
        Login.Identity alice = ((Login.Succeeded) directory.authenticate("asmith", "Alice-Passw0rd")).identity();
        assertThat(directory.maySendAs(alice, a("asmith@example.test"))).isEqualTo(Lookup.found(true));
        assertThat(directory.maySendAs(alice, a("bob.jones@example.test"))).isEqualTo(Lookup.found(false));
    }

    @Test
    void bindErrorCodesBecomeOperatorReasons() {
        DirectoryTrace trace = DirectoryTrace.recording();
        assertThat(directory.authenticate("bjones", "wrong", trace)).isEqualTo(new Login.Failed(Login.Reason.WRONG_PASSWORD));
        assertThat(String.join("\n", trace.lines())).contains("[AD data 52e]");
        assertThat(directory.authenticate("dgone", "Dave-Passw0rd")).isEqualTo(new Login.Failed(Login.Reason.DISABLED));
        assertThat(directory.authenticate("nobody@ad.example.test", "x")).isEqualTo(new Login.Failed(Login.Reason.UNKNOWN_USER));
        assertThat(directory.authenticate("asmith", "")).isEqualTo(new Login.Failed(Login.Reason.EMPTY_PASSWORD));
        assertThat(directory.authenticate("eexpired", "Erin-Passw0rd")).isEqualTo(new Login.Failed(Login.Reason.EXPIRED));
        assertThat(directory.authenticate("fchange", "Fred-Passw0rd")).isEqualTo(new Login.Failed(Login.Reason.EXPIRED));
        for (int i = 0; i < 3; i++) {
            assertThat(directory.authenticate("glocked", "wrong-" + i)).isInstanceOf(Login.Failed.class);
        }
        assertThat(directory.authenticate("glocked", "Gina-Passw0rd")).isEqualTo(new Login.Failed(Login.Reason.LOCKED));
    }

    @Test
    void globalCatalogAnswersToo() throws Exception {
        try (LdapDirectory gc = DirectoryItSupport.connect(yaml(ad.globalCatalogUrl(), "globalCatalog: true"))) {
            assertThat(resolve(gc, "asmith@example.test")).isInstanceOfSatisfying(Recipient.Mailbox.class,
                    m -> assertThat(m.address()).isEqualTo(a("alice.smith@example.test")));
            assertThat(gc.authenticate("asmith@ad.example.test", "Alice-Passw0rd")).isInstanceOf(Login.Succeeded.class);
        }
    }

    @Test
    void hostileInputMatchesNothingAndNeverThrows() {
        for (String bad : DirectoryItSupport.HOSTILE) {
            MailAddress address = new MailAddress(bad, "example.test");
            assertThat(directory.resolve(address)).as(bad).isEqualTo(Lookup.found(new Recipient.Unknown(address)));
            assertThat(directory.authenticate(bad, "Alice-Passw0rd")).as(bad).isInstanceOf(Login.Failed.class);
        }
    }
}
