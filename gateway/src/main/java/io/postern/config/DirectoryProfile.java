package io.postern.config;

/** Which schema the directory speaks; see docs/directory.md. */
public enum DirectoryProfile {
    /** inetOrgPerson plus Postern's auxiliary class (directory-schema/), groupOfNames with mail. */
    OPENLDAP,
    /** An existing Active Directory, no schema change: mail, proxyAddresses, UPN, sAMAccountName. */
    ACTIVE_DIRECTORY
}
