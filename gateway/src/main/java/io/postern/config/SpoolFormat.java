package io.postern.config;

/** On-disk format of a user's spool. */
public enum SpoolFormat {
    MAILDIR,
    MBOX
}
