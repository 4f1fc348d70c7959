/**
 * The {@code postern} command line (picocli). Exit codes: 0 success, 2 usage or configuration
 * error, 1 runtime failure; every error is one line on stderr.
 */
package io.postern.cli;
