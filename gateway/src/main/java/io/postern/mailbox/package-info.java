/**
 * Per-user spools on shared storage: where they are ({@link io.postern.mailbox.SpoolLayout}),
 * and reading them for POP3 with cluster-safe locks.
 *
 * <p>Untrusted input: path components from the envelope and the directory; validated before any
 * file system call, so nothing is read or written outside the spool root.
 */
package io.postern.mailbox;
