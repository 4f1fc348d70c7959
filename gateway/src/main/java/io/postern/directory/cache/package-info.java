/**
 * The directory cache: a {@link io.postern.directory.Directory} in front of the LDAP adapter that
 * answers from memory (Caffeine), keeps hot entries fresh by reloading them in the background,
 * forgets exactly what change tracking reports, and keeps mail flowing when the directory is down.
 *
 * <p>Input: answers of the wrapped directory (trusted) and the questions of protocol sessions
 * (addresses already parsed; logins and passwords untrusted, never logged). Limits: each question
 * has at most {@code cache.maxSize} entries; positive answers live at most {@code cache.maxStale},
 * negative ones {@code cache.ttl.negative}. Failure behaviour: when the wrapped directory answers
 * TempFail, a positive answer younger than {@code cache.maxStale} is served (counted as stale); a
 * question never answered before gets TempFail, never a permanent answer. A failed login is never
 * remembered, a successful one only as a salted keyed hash (HMAC-SHA256, per-process key). Fresh
 * answers are also offered without waiting ({@link io.postern.directory.Directory#inMemory()}), for
 * sessions that answer on their event loop; everything else is asked as above. See docs/cache.md.
 */
package io.postern.directory.cache;
