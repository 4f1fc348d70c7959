package io.postern.it.directory;

import static org.assertj.core.api.Assertions.assertThat;

import io.postern.config.ConfigLoader;
import io.postern.config.PosternConfig;
import io.postern.config.SecretResolver;
import io.postern.directory.Lookup;
import io.postern.directory.Recipient;
import io.postern.directory.ldap.LdapDirectory;
import io.postern.mail.MailAddress;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/** Configuration and assertions shared by the directory integration tests. */
final class DirectoryItSupport {
    private DirectoryItSupport() {
    }

    /** Hostile local parts and logins: filter metacharacters, NUL, relay tricks, quotes, long, non-ASCII. */
    static final List<String> HOSTILE = List.of("*", "alice*", "*)(mail=*", "alice)(|(mail=*", "(", ")", "\\",
            "alice\\2a", "alice\u0000", "\u0000", "%", "alice%example.test", "!", "alice!x", "\"alice\"", "'alice'",
            "a".repeat(65), "a".repeat(10_000), "\u00e5lice", "\u0430lice", "\u4e2d\u6587", " alice", "alice ",
            "cn=admin,dc=example,dc=test", "ADEX\\*", "*@example.test", "smtp:*", "asmith*", "*smith");

    static PosternConfig config(String directoryYaml) {
        String yaml = """
                listeners:
                  - { name: smtp, kind: mx, address: 127.0.0.1, port: 25 }
                admin: { enabled: false }
                domains: [example.test]
                directory:
                """ + directoryYaml.indent(2);
        return new ConfigLoader(new SecretResolver(Map.of())).parse(yaml, Path.of(".").toAbsolutePath(), "it.yaml");
    }

    static LdapDirectory connect(String directoryYaml) throws IOException {
        PosternConfig config = config(directoryYaml);
        return LdapDirectory.connect(config.directory(), config.domains());
    }

    static MailAddress a(String text) {
        return MailAddress.parse(text).orElseThrow();
    }

    static Recipient resolve(LdapDirectory directory, String address) {
        Lookup<Recipient> answer = directory.resolve(a(address));
        assertThat(answer).as(address).isInstanceOf(Lookup.Found.class);
        return ((Lookup.Found<Recipient>) answer).value();
    }

    static Path repo(String path) {
        String home = System.getProperty("postern.home");
        return (home != null ? Path.of(home) : Path.of("..").toAbsolutePath().normalize()).resolve(path);
    }
}
