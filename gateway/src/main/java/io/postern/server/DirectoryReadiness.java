package io.postern.server;

import io.postern.directory.ldap.LdapDirectory;
import io.postern.observability.ReadinessCheck;

/** {@code /readyz} holds only while a directory server answers (the probe is bounded to one second). */
final class DirectoryReadiness implements ReadinessCheck {
    private final LdapDirectory directory;

    DirectoryReadiness(LdapDirectory directory) {
        this.directory = directory;
    }

    @Override
    public String name() {
        return "directory";
    }

    @Override
    public Status check() {
        return directory.unhealthy().map(Status::failing).orElseGet(Status::ok);
    }
}
