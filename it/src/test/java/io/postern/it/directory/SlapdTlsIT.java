package io.postern.it.directory;

import static io.postern.it.directory.DirectoryItSupport.resolve;
import static org.assertj.core.api.Assertions.assertThat;

import io.postern.directory.Login;
import io.postern.directory.Lookup;
import io.postern.directory.Recipient;
import io.postern.directory.ldap.LdapDirectory;
import io.postern.it.servers.Slapd;
import io.postern.it.servers.TestCertificates;
import io.postern.it.support.Ports;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** LDAPS and StartTLS to a real slapd, verified against a CA file; an untrusted certificate is refused. */
class SlapdTlsIT {
    @TempDir
    Path dir;

    static String yaml(String url, boolean startTls, Path caFile) {
        return """
                profile: openldap
                urls: [%s]
                baseDn: dc=example,dc=test
                bindDn: cn=admin,dc=example,dc=test
                bindPassword: admin-pw
                startTls: %s
                caFile: %s
                connectTimeout: 2s
                """.formatted(url, startTls, caFile);
    }

    @Test
    void ldapsAndStartTlsWithACaFileAndNothingWithoutTrust() throws Exception {
        TestCertificates certs = TestCertificates.create(dir.resolve("certs"));
        TestCertificates other = TestCertificates.create(dir.resolve("other"));
        try (Slapd ldap = Slapd.startWithTls(dir.resolve("slapd"), DirectoryItSupport.repo("ldif/demo.ldif"),
                new Slapd.Tls(certs.certificate(), certs.privateKey(), Ports.free()))) {
            try (LdapDirectory ldaps = DirectoryItSupport.connect(yaml(ldap.ldapsUrl(), false, certs.caCertificate()))) {
                assertThat(resolve(ldaps, "info@example.test")).isInstanceOf(Recipient.Alias.class);
                assertThat(ldaps.authenticate("alice", "alice-pw")).isInstanceOf(Login.Succeeded.class);
            }
            try (LdapDirectory startTls = DirectoryItSupport.connect(yaml(ldap.url(), true, certs.caCertificate()))) {
                assertThat(resolve(startTls, "team@example.test")).isInstanceOf(Recipient.Group.class);
                assertThat(startTls.authenticate("bob", "bob-pw")).isInstanceOf(Login.Succeeded.class);
            }
            try (LdapDirectory untrusted = DirectoryItSupport.connect(yaml(ldap.ldapsUrl(), false, other.caCertificate()))) {
                assertThat(untrusted.resolve(DirectoryItSupport.a("info@example.test"))).isInstanceOf(Lookup.TempFail.class);
                assertThat(untrusted.authenticate("alice", "alice-pw")).isInstanceOf(Login.TempFail.class);
                assertThat(untrusted.unhealthy()).isPresent();
            }
        }
    }
}
