/**
 * The {@code postern} command line (picocli). Exit codes: 0 success, 2 usage or configuration
 * error, 1 runtime failure, 3 finished with work left (a drain that timed out, an import that left
 * files behind); every error is one line on stderr. Untrusted input: arguments (queue ids and
 * durations are checked before use; directories are opened only through the queue's lock).
 */
package io.postern.cli;
