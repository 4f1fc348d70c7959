package io.postern.config;

import java.nio.file.Path;

/**
 * An in-memory directory (UnboundID) seeded from LDIF and served on loopback, for the demo and
 * for trying Postern without a directory server. Not for production: its content is lost on exit.
 */
public record EmbeddedDirectoryConfig(Path ldif, String address, int port, String bindDn, String bindPassword) {

    static EmbeddedDirectoryConfig from(ConfigNode node, Path base) {
        Path ldif = base.resolve(node.string("ldif", "ldif/demo.ldif"));
        String address = node.string("address", "127.0.0.1");
        if (!ListenerConfig.isLiteralAddress(address)) {
            node.error("address", "'" + address + "' is not an IP address");
        }
        int port = node.port("port", 10389);
        String bindDn = node.string("bindDn", "cn=admin,dc=example,dc=test");
        String bindPassword = node.string("bindPassword", "admin-pw");
        return new EmbeddedDirectoryConfig(ldif, address, port, bindDn, bindPassword);
    }
}
