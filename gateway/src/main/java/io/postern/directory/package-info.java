/**
 * The questions Postern asks its directory: is this domain ours, what is this address, may this
 * identity send as that address, is this login right. Answers are sealed types; a directory
 * outage is {@link io.postern.directory.Lookup.TempFail}, never "unknown".
 */
package io.postern.directory;
