/**
 * The configuration: one YAML file read into immutable records, each section with safe defaults.
 *
 * <p>Untrusted input: the file (operator-written, but typos are normal). Limits: 1 MiB file, 10
 * YAML aliases, duplicate keys refused. Failure: a {@link io.postern.config.ConfigException} that
 * lists every problem with its key path; nothing starts with a configuration that has one.
 */
package io.postern.config;
