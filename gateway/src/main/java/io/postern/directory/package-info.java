/**
 * The questions Postern asks its directory: is this domain ours, what is this address, may this
 * identity send as that address, what may this sender do (relay outside, per-sender limits),
 * which networks does the directory trust, is this login right. Answers are sealed types; a directory
 * outage is {@link io.postern.directory.Lookup.TempFail}, never "unknown".
 */
package io.postern.directory;
