package io.postern.config;

/** Which schema the directory speaks; see docs/directory.md. */
public enum DirectoryProfile {
    /** inetOrgPerson plus Postern's auxiliary class (directory-schema/), groupOfNames with mail. */
    OPENLDAP,
    /** An existing Active Directory, no schema change: mail, proxyAddresses, UPN, sAMAccountName. */
    ACTIVE_DIRECTORY,
    /**
     * An existing Postfix + LDAP tree on OpenLDAP's misc.schema: {@code inetLocalMailRecipient}
     * ({@code mailLocalAddress}, {@code mailRoutingAddress}) and {@code nisMailAlias}
     * ({@code rfc822MailMember}).
     */
    INET_LOCAL_MAIL,
    /**
     * An existing iRedMail tree: {@code mailUser} ({@code shadowAddress}, {@code mailForwardingAddress},
     * {@code accountStatus}, {@code mailQuota}), {@code mailAlias}, {@code mailList} whose members
     * name it in {@code memberOfGroup}, {@code mailDomain}.
     */
    IREDMAIL
}
