package io.postern.directory.ldap;

import com.unboundid.ldap.listener.InMemoryDirectoryServer;
import com.unboundid.ldap.listener.InMemoryDirectoryServerConfig;
import com.unboundid.ldap.listener.InMemoryListenerConfig;
import com.unboundid.ldap.sdk.DN;
import com.unboundid.ldap.sdk.LDAPException;
import com.unboundid.ldap.sdk.OperationType;
import com.unboundid.ldap.sdk.schema.Schema;
import com.unboundid.ldif.LDIFException;
import io.postern.config.DirectoryMapping;
import io.postern.config.EmbeddedDirectoryConfig;
import io.postern.directory.DirectoryChangeListener;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;

/**
 * The in-memory UnboundID directory of the demo and the unit tests: seeded from LDIF, with the
 * standard schema plus Postern's (directory-schema/), served on loopback (unless
 * {@code directory.embedded.address} says otherwise) so that {@code ldapsearch} works against it.
 * Only its administrator ({@code bindDn}) may change it; nobody reads password attributes
 * ({@link EmbeddedDirectoryGuard}). Thread-safe.
 */
public final class EmbeddedDirectoryServer implements AutoCloseable {
    /** Postern's schema in the form the in-memory server reads (an LDIF subschema entry). */
    public static final String SCHEMA_RESOURCE = "/io/postern/schema/postern-inmemory.ldif";

    private final InMemoryDirectoryServer server;
    private final EmbeddedDirectoryConfig config;
    private final EmbeddedChangePublisher changes;

    private EmbeddedDirectoryServer(InMemoryDirectoryServer server, EmbeddedDirectoryConfig config,
                                    EmbeddedChangePublisher changes) {
        this.server = server;
        this.config = config;
        this.changes = changes;
    }

    public static EmbeddedDirectoryServer start(EmbeddedDirectoryConfig config, String baseDn) throws IOException {
        if (!Files.isReadable(config.ldif())) {
            throw new IOException("directory.embedded.ldif: cannot read " + config.ldif());
        }
        try {
            InMemoryDirectoryServerConfig serverConfig = new InMemoryDirectoryServerConfig(baseDn);
            serverConfig.addAdditionalBindCredentials(config.bindDn(), config.bindPassword());
            // Anonymous clients get "authentication required" for any change; the guard then
            // keeps changes to the administrator and password attributes out of every reply.
            serverConfig.setAuthenticationRequiredOperationTypes(OperationType.ADD, OperationType.DELETE,
                    OperationType.MODIFY, OperationType.MODIFY_DN, OperationType.COMPARE);
            serverConfig.addInMemoryOperationInterceptor(
                    new EmbeddedDirectoryGuard(new DN(config.bindDn()), serverConfig.getPasswordAttributes()));
            EmbeddedChangePublisher changes = new EmbeddedChangePublisher();
            serverConfig.addInMemoryOperationInterceptor(changes);
            serverConfig.setSchema(schema());
            serverConfig.setListenerConfigs(InMemoryListenerConfig.createLDAPConfig("ldap",
                    InetAddress.getByName(config.address()), config.port(), null));
            InMemoryDirectoryServer server = new InMemoryDirectoryServer(serverConfig);
            server.importFromLDIF(true, config.ldif().toFile());
            changes.serve(server);
            server.startListening();
            return new EmbeddedDirectoryServer(server, config, changes);
        } catch (LDAPException | LDIFException e) {
            throw new IOException("embedded directory: " + e.getMessage(), e);
        }
    }

    /** The standard schema, merged with Postern's when the schema module ships it. */
    static Schema schema() throws LDAPException, LDIFException, IOException {
        List<Schema> parts = new ArrayList<>();
        parts.add(Schema.getDefaultStandardSchema());
        try (InputStream in = EmbeddedDirectoryServer.class.getResourceAsStream(SCHEMA_RESOURCE)) {
            if (in != null) {
                parts.add(Schema.getSchema(in));
            }
        }
        return Schema.mergeSchemas(parts.toArray(new Schema[0]));
    }

    /**
     * From now on, every change made to this directory (over LDAP or through {@link #server()})
     * reaches {@code listener} before the client gets its answer, read through {@code mapping}.
     * The node's cache then needs no polling of its own in-process directory.
     */
    public void publishChangesTo(DirectoryMapping mapping, DirectoryChangeListener listener) {
        changes.publishTo(mapping, listener);
    }

    public InMemoryDirectoryServer server() {
        return server;
    }

    public String url() {
        return "ldap://" + config.address() + ":" + server.getListenPort();
    }

    @Override
    public void close() {
        server.shutDown(true);
    }
}
