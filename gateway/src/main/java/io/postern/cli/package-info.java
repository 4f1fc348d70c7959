/**
 * The {@code postern} command line (picocli). Exit codes: 0 success, 2 usage or configuration
 * error, 1 runtime failure, 3 finished with work left (a drain that timed out, an import that left
 * files behind); every error is one line on stderr. {@code lookup} and {@code auth-test} add 75
 * (directory unavailable) and {@code lookup} 77 (refused), see docs/directory.md. Every command,
 * at any depth, has {@code -h}/{@code --help}. Untrusted input: arguments (queue ids and
 * durations are checked before use; directories are opened only through the queue's lock).
 * {@code lookup} explains with the delivery's own {@link io.postern.routing.RecipientExpander},
 * run over {@link io.postern.directory.ldap.LdapDirectory#traced}: one expansion algorithm.
 */
package io.postern.cli;
