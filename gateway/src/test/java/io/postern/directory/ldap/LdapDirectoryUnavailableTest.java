package io.postern.directory.ldap;

import static org.assertj.core.api.Assertions.assertThat;

import io.postern.config.PosternConfig;
import io.postern.directory.Login;
import io.postern.directory.Lookup;
import io.postern.mail.MailAddress;
import java.net.ServerSocket;
import org.junit.jupiter.api.Test;

/** A directory that cannot be reached gives "try again later", never "unknown" or "wrong password". */
class LdapDirectoryUnavailableTest {

    static int closedPort() throws Exception {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }

    @Test
    void nothingListeningGivesTempFailEverywhere() throws Exception {
        PosternConfig config = InMemoryDirectory.config("""
                urls: [ldap://127.0.0.1:%d]
                baseDn: dc=example,dc=test
                bindDn: cn=admin,dc=example,dc=test
                bindPassword: admin-pw
                connectTimeout: 1s
                responseTimeout: 1s
                domainsFromDirectory: true
                """.formatted(closedPort()));
        long start = System.nanoTime();
        try (LdapDirectory directory = LdapDirectory.connect(config.directory(), config.domains())) {
            MailAddress alice = MailAddress.parse("alice@example.test").orElseThrow();
            assertThat(directory.resolve(alice)).isInstanceOf(Lookup.TempFail.class);
            assertThat(directory.authenticate("alice", "alice-pw")).isInstanceOf(Login.TempFail.class);
            assertThat(directory.isLocalDomain("example.org")).isInstanceOf(Lookup.TempFail.class);
            assertThat(directory.isLocalDomain("example.test")).isEqualTo(Lookup.found(true));
            assertThat(directory.maySendAs(new Login.Identity("alice", "uid=alice,dc=example,dc=test", alice),
                    MailAddress.parse("info@example.test").orElseThrow())).isInstanceOf(Lookup.TempFail.class);
            assertThat(directory.unhealthy()).isPresent();
        }
        assertThat(System.nanoTime() - start).isLessThan(20_000_000_000L);
    }

    @Test
    void serverGoingAwayTurnsAnswersIntoTempFailAndBack() throws Exception {
        InMemoryDirectory ldap = InMemoryDirectory.openldap("demo.ldif", closedPort());
        try {
            PosternConfig config = ldap.openldapConfig("");
            try (LdapDirectory directory = LdapDirectory.connect(config.directory(), config.domains())) {
                MailAddress info = MailAddress.parse("info@example.test").orElseThrow();
                assertThat(directory.resolve(info)).isInstanceOf(Lookup.Found.class);
                assertThat(directory.unhealthy()).isEmpty();
                ldap.server.shutDown(true);
                assertThat(directory.resolve(info)).isInstanceOf(Lookup.TempFail.class);
                assertThat(directory.authenticate("alice", "alice-pw")).isInstanceOf(Login.TempFail.class);
                assertThat(directory.unhealthy()).isPresent();
                ldap.server.startListening();
                assertThat(directory.resolve(info)).isInstanceOf(Lookup.Found.class);
                assertThat(directory.authenticate("alice", "alice-pw")).isInstanceOf(Login.Succeeded.class);
            }
        } finally {
            ldap.close();
        }
    }

    @Test
    void wrongServiceAccountPasswordIsTempFailNotUnknown() throws Exception {
        InMemoryDirectory ldap = InMemoryDirectory.openldap("demo.ldif");
        try {
            PosternConfig config = InMemoryDirectory.config("""
                    urls: [%s]
                    baseDn: dc=example,dc=test
                    bindDn: cn=admin,dc=example,dc=test
                    bindPassword: not-the-password
                    """.formatted(ldap.url()));
            try (LdapDirectory directory = LdapDirectory.connect(config.directory(), config.domains())) {
                assertThat(directory.resolve(MailAddress.parse("alice@example.test").orElseThrow()))
                        .isInstanceOf(Lookup.TempFail.class);
            }
        } finally {
            ldap.close();
        }
    }

    @Test
    void aSilentServerCostsAtMostTheResponseTimeoutAndReadinessAtMostASecond() throws Exception {
        // Accepts TCP connections and never says a word: the worst kind of outage.
        try (ServerSocket silent = new ServerSocket(0, 50, java.net.InetAddress.getLoopbackAddress())) {
            PosternConfig config = InMemoryDirectory.config("""
                    urls: [ldap://127.0.0.1:%d]
                    baseDn: dc=example,dc=test
                    connectTimeout: 1s
                    responseTimeout: 2s
                    """.formatted(silent.getLocalPort()));
            try (LdapDirectory directory = LdapDirectory.connect(config.directory(), config.domains())) {
                long start = System.nanoTime();
                assertThat(directory.unhealthy()).isPresent();
                assertThat(System.nanoTime() - start).isLessThan(1_500_000_000L);
                start = System.nanoTime();
                assertThat(directory.resolve(MailAddress.parse("alice@example.test").orElseThrow()))
                        .isInstanceOf(Lookup.TempFail.class);
                assertThat(System.nanoTime() - start).isLessThan(6_000_000_000L);
            }
        }
    }
}
