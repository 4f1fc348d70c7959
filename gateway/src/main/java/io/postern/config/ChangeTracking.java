package io.postern.config;

/** How the directory cache learns about changes (docs/cache.md). */
public enum ChangeTracking {
    /** The best the server offers, read from its rootDSE: syncrepl, then DirSync, then notification, else poll. */
    AUTO,
    /** RFC 4533 content synchronisation, refreshAndPersist (OpenLDAP syncprov). */
    SYNCREPL,
    /** Active Directory DirSync control (1.2.840.113556.1.4.841), polled with its cookie; needs the replicating-changes right. */
    DIRSYNC,
    /** Active Directory change notification control (1.2.840.113556.1.4.528). */
    NOTIFICATION,
    /** Periodic search for entries changed since the last poll (uSNChanged on AD, modifyTimestamp elsewhere). */
    POLL,
    /** No change tracking: the TTLs alone bound staleness; the directory is still probed for readiness. */
    OFF
}
