/**
 * The LDAP adapter behind {@link io.postern.directory.Directory}, and the embedded in-memory
 * directory of the demo and the unit tests. LDAP SDK types stay inside this package.
 */
package io.postern.directory.ldap;
