package io.postern.directory.ldap;

/**
 * The directory could not answer (no server reachable, timeout, busy, or a refused search such
 * as a missing base): the caller answers "try again later", never "unknown". Carries the
 * operator's reason, never user input beyond what was searched for.
 */
final class DirectoryUnavailable extends Exception {
    DirectoryUnavailable(String reason, Throwable cause) {
        super(reason, cause);
    }
}
