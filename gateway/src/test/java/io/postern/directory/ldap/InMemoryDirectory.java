package io.postern.directory.ldap;

import com.unboundid.ldap.listener.InMemoryDirectoryServer;
import com.unboundid.ldap.listener.InMemoryDirectoryServerConfig;
import com.unboundid.ldap.listener.InMemoryListenerConfig;
import com.unboundid.ldap.listener.interceptor.InMemoryOperationInterceptor;
import com.unboundid.ldap.sdk.schema.Schema;
import io.postern.config.ConfigLoader;
import io.postern.config.PosternConfig;
import io.postern.config.SecretResolver;
import java.io.InputStream;
import java.net.InetAddress;
import java.nio.file.Path;
import java.util.Map;

/**
 * An UnboundID in-memory directory on a loopback port, seeded from one of the repository's LDIF
 * files, with Postern's schema (and, for the AD profile, a small AD-like schema), plus a
 * configuration that points at it. Test support.
 */
final class InMemoryDirectory implements AutoCloseable {
    static final String ADMIN_DN = "cn=admin,dc=example,dc=test";
    static final String ADMIN_PW = "admin-pw";

    final InMemoryDirectoryServer server;

    private InMemoryDirectory(InMemoryDirectoryServer server) {
        this.server = server;
    }

    /** The repository's ldif/ folder (the module's working directory is gateway/). */
    static Path ldif(String name) {
        return Path.of("..", "ldif", name).toAbsolutePath().normalize();
    }

    static InMemoryDirectory openldap(String ldifName) throws Exception {
        return start("dc=example,dc=test", false, ldif(ldifName), 0);
    }

    /** On a fixed port, so that a test can stop and restart the listener at the same address. */
    static InMemoryDirectory openldap(String ldifName, int port) throws Exception {
        return start("dc=example,dc=test", false, ldif(ldifName), port);
    }

    /** With {@code interceptor} seeing every request (tests that count round trips). */
    static InMemoryDirectory openldap(String ldifName, InMemoryOperationInterceptor interceptor) throws Exception {
        return start("dc=example,dc=test", false, ldif(ldifName), 0, interceptor);
    }

    static InMemoryDirectory activeDirectory() throws Exception {
        Path sample = Path.of(InMemoryDirectory.class.getResource("ad-sample.ldif").toURI());
        return start("DC=ad,DC=example,DC=test", true, sample, 0);
    }

    private static InMemoryDirectory start(String base, boolean ad, Path ldif, int port) throws Exception {
        return start(base, ad, ldif, port, null);
    }

    private static InMemoryDirectory start(String base, boolean ad, Path ldif, int port,
                                           InMemoryOperationInterceptor interceptor) throws Exception {
        InMemoryDirectoryServerConfig config = new InMemoryDirectoryServerConfig(base);
        if (interceptor != null) {
            config.addInMemoryOperationInterceptor(interceptor);
        }
        config.addAdditionalBindCredentials(ADMIN_DN, ADMIN_PW);
        Schema schema = EmbeddedDirectoryServer.schema();
        if (ad) {
            try (InputStream in = InMemoryDirectory.class.getResourceAsStream("ad-emulation-schema.ldif")) {
                schema = Schema.mergeSchemas(schema, Schema.getSchema(in));
            }
        }
        config.setSchema(schema);
        config.setListenerConfigs(InMemoryListenerConfig.createLDAPConfig("ldap", InetAddress.getLoopbackAddress(), port, null));
        InMemoryDirectoryServer server = new InMemoryDirectoryServer(config);
        server.importFromLDIF(true, ldif.toFile());
        server.startListening();
        return new InMemoryDirectory(server);
    }

    String url() {
        return "ldap://127.0.0.1:" + server.getListenPort();
    }

    /** A whole configuration whose directory section is {@code directoryYaml} (indented by the caller). */
    static PosternConfig config(String directoryYaml) {
        String yaml = """
                listeners:
                  - { name: smtp, kind: mx, address: 127.0.0.1, port: 25 }
                admin: { enabled: false }
                domains: [example.test]
                directory:
                """ + directoryYaml.indent(2);
        return new ConfigLoader(new SecretResolver(Map.of())).parse(yaml, Path.of(".").toAbsolutePath(), "test.yaml");
    }

    /** The openldap profile against this server, plus {@code extra} directory keys. */
    PosternConfig openldapConfig(String extra) {
        return config("""
                profile: openldap
                urls: [%s]
                baseDn: dc=example,dc=test
                bindDn: %s
                bindPassword: %s
                connectTimeout: 2s
                responseTimeout: 2s
                """.formatted(url(), ADMIN_DN, ADMIN_PW) + extra);
    }

    PosternConfig activeDirectoryConfig(String extra) {
        return config("""
                profile: active-directory
                urls: [%s]
                baseDn: DC=ad,DC=example,DC=test
                bindDn: %s
                bindPassword: %s
                groups: { expansion: iterative }
                """.formatted(url(), ADMIN_DN, ADMIN_PW) + extra);
    }

    @Override
    public void close() {
        server.shutDown(true);
    }
}
