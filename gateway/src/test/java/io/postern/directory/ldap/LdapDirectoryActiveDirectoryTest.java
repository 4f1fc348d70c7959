package io.postern.directory.ldap;

import static org.assertj.core.api.Assertions.assertThat;

import io.postern.config.PosternConfig;
import io.postern.directory.Login;
import io.postern.directory.Lookup;
import io.postern.directory.Recipient;
import io.postern.mail.MailAddress;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The active-directory profile on AD-shaped entries in the in-memory server (proxyAddresses,
 * userAccountControl, UPN and sAMAccountName logins, nested groups expanded iteratively: the
 * in-memory server has no in-chain rule; the Samba IT covers that).
 */
class LdapDirectoryActiveDirectoryTest {
    static InMemoryDirectory ad;
    static LdapDirectory directory;

    @BeforeAll
    static void start() throws Exception {
        ad = InMemoryDirectory.activeDirectory();
        PosternConfig config = ad.activeDirectoryConfig("");
        directory = LdapDirectory.connect(config.directory(), config.domains());
    }

    @AfterAll
    static void stop() {
        directory.close();
        ad.close();
    }

    static MailAddress a(String text) {
        return MailAddress.parse(text).orElseThrow();
    }

    static Recipient resolve(String address) {
        return ((Lookup.Found<Recipient>) directory.resolve(a(address))).value();
    }

    @Test
    void proxyAddressesSmtpPrefixesInAnyCaseReachThePrimaryMailbox() {
        for (String address : List.of("alice.smith@example.test", "asmith@example.test", "ALICE@example.test")) {
            assertThat(resolve(address)).as(address).isInstanceOfSatisfying(Recipient.Mailbox.class, m -> {
                assertThat(m.address()).isEqualTo(a("alice.smith@example.test"));
                assertThat(m.disabled()).isFalse();
            });
        }
    }

    @Test
    void otherProxyAddressPrefixesAreNotAddresses() {
        assertThat(resolve("sip.alice@example.test")).isInstanceOf(Recipient.Unknown.class);
    }

    @Test
    void primaryAddressComesFromUpperCaseSmtpWhenMailIsAbsent() {
        assertThat(resolve("carol@example.test")).isInstanceOfSatisfying(Recipient.Mailbox.class,
                m -> assertThat(m.address()).isEqualTo(a("carol.white@example.test")));
    }

    @Test
    void userAccountControlBitTwoMeansDisabled() {
        assertThat(resolve("dave.gone@example.test")).isInstanceOfSatisfying(Recipient.Mailbox.class,
                m -> assertThat(m.disabled()).isTrue());
    }

    @Test
    void computersAreNotUsers() {
        assertThat(resolve("ws1@example.test")).isInstanceOf(Recipient.Unknown.class);
    }

    @Test
    void nestedDistributionGroupsWithContactsSkipDisabledMembersAndLoops() {
        assertThat(resolve("all@example.test")).isInstanceOfSatisfying(Recipient.Group.class, g -> assertThat(g.members())
                .containsExactly(a("alice.smith@example.test"), a("partner@elsewhere.test"), a("bob.jones@example.test")));
    }

    @Test
    void loginsByUpnSamAccountNameDomainPrefixMailAndProxyAddress() {
        for (String login : List.of("asmith@ad.example.test", "asmith", "ADEX\\asmith", "alice.smith@example.test",
                "asmith@example.test")) {
            assertThat(directory.authenticate(login, "Alice-Passw0rd")).as(login).isInstanceOfSatisfying(
                    Login.Succeeded.class, s -> assertThat(s.identity().primaryAddress()).isEqualTo(a("alice.smith@example.test")));
        }
        assertThat(directory.authenticate("asmith", "wrong")).isEqualTo(new Login.Failed(Login.Reason.WRONG_PASSWORD));
        assertThat(directory.authenticate("dgone", "Dave-Passw0rd")).isEqualTo(new Login.Failed(Login.Reason.DISABLED));
        assertThat(directory.authenticate("nobody", "x")).isEqualTo(new Login.Failed(Login.Reason.UNKNOWN_USER));
        assertThat(directory.authenticate("WS1$", "x")).isEqualTo(new Login.Failed(Login.Reason.UNKNOWN_USER));
    }

    @Test
    void adDataCodesMapToOperatorReasons() {
        String message = "80090308: LdapErr: DSID-0C0903A9, comment: AcceptSecurityContext error, data %s, v1db1";
        assertThat(BindOutcome.adDataCode(message.formatted("52e"))).contains("52e");
        assertThat(BindOutcome.fromAdCode("525")).isEqualTo(Login.Reason.UNKNOWN_USER);
        assertThat(BindOutcome.fromAdCode("52e")).isEqualTo(Login.Reason.WRONG_PASSWORD);
        assertThat(BindOutcome.fromAdCode("533")).isEqualTo(Login.Reason.DISABLED);
        assertThat(BindOutcome.fromAdCode("701")).isEqualTo(Login.Reason.EXPIRED);
        assertThat(BindOutcome.fromAdCode("775")).isEqualTo(Login.Reason.LOCKED);
        assertThat(BindOutcome.adDataCode("invalid credentials")).isEmpty();
    }
}
