package io.postern.it.directory;

import static io.postern.it.directory.DirectoryItSupport.resolve;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.postern.directory.Login;
import io.postern.directory.Recipient;
import io.postern.directory.ldap.LdapDirectory;
import io.postern.directory.ldap.SrvDiscovery;
import io.postern.it.servers.Dnsmasq;
import io.postern.it.servers.Slapd;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * With directory.domain and no URL, Postern finds its servers from _ldap._tcp SRV records (here
 * served by a private dnsmasq): priority first, then weight; the first server down means the
 * next one answers.
 */
class SrvDiscoveryIT {
    @TempDir
    Path dir;

    @Test
    void serversComeFromSrvRecordsInPriorityAndWeightOrderAndFailOver() throws Exception {
        Path demo = DirectoryItSupport.repo("ldif/demo.ldif");
        try (Slapd preferred = Slapd.start(dir.resolve("a"), demo); Slapd backup = Slapd.start(dir.resolve("b"), demo);
                Dnsmasq dns = Dnsmasq.builder()
                        .option("--srv-host=_ldap._tcp.corp.example.test,localhost," + backup.port() + ",10,100")
                        .option("--srv-host=_ldap._tcp.corp.example.test,localhost," + preferred.port() + ",0,100")
                        .option("--srv-host=_ldap._tcp.corp.example.test,localhost,1,0,5")
                        .option("--srv-host=_gc._tcp.corp.example.test,localhost,3268,0,100")
                        .start(dir.resolve("dns"))) {
            List<URI> found = SrvDiscovery.discover("corp.example.test", Optional.of(dns.address()), false, false);
            assertThat(found).containsExactly(URI.create("ldap://localhost:" + preferred.port()),
                    URI.create("ldap://localhost:1"), URI.create("ldap://localhost:" + backup.port()));
            assertThat(SrvDiscovery.discover("corp.example.test", Optional.of(dns.address()), true, true))
                    .containsExactly(URI.create("ldaps://localhost:3269"));
            assertThatThrownBy(() -> SrvDiscovery.discover("other.example.test", Optional.of(dns.address()), false, false))
                    .isInstanceOf(IOException.class).hasMessageContaining("no SRV records");

            String yaml = """
                    profile: openldap
                    domain: corp.example.test
                    dnsServer: "%s"
                    baseDn: dc=example,dc=test
                    bindDn: cn=admin,dc=example,dc=test
                    bindPassword: admin-pw
                    connectTimeout: 2s
                    """.formatted(dns.address());
            try (LdapDirectory directory = DirectoryItSupport.connect(yaml)) {
                assertThat(directory.servers()).isEqualTo(found);
                assertThat(resolve(directory, "info@example.test")).isInstanceOf(Recipient.Alias.class);
                preferred.stop();
                // Next in line is port 1 (nothing there), then the backup.
                assertThat(resolve(directory, "team@example.test")).isInstanceOf(Recipient.Group.class);
                assertThat(directory.authenticate("alice", "alice-pw")).isInstanceOf(Login.Succeeded.class);
            }
        }
    }
}
