/**
 * The directory over LDAP: {@link io.postern.directory.ldap.LdapDirectory} answers the questions of
 * {@link io.postern.directory.Directory} against OpenLDAP (profile openldap) or Active Directory
 * (profile active-directory), and {@link io.postern.directory.ldap.EmbeddedDirectoryServer} is the
 * demo's in-memory server: loopback by default, writable only by its administrator bind DN, never
 * returning a password attribute (its clients are untrusted: refusals are
 * {@code insufficientAccessRights} or {@code unwillingToPerform} for anonymous changes). Its
 * changes reach the node's cache as they are made ({@code EmbeddedChangePublisher}), not by polling.
 *
 * <p>Input: addresses, logins and passwords from the network (untrusted) and the directory's entries
 * (trusted to be well meant, not well formed). Every value placed in a filter goes through
 * {@code Filter.createEqualityFilter} and friends; operator filters from the configuration are only
 * ANDed around them.
 *
 * <p>Limits: equality look-ups read at most five entries (more than one is a directory error and
 * answers "try again later"); group expansion stops at {@code directory.groups.maxDepth} and
 * {@code maxMembers}; logins longer than 320 characters and passwords longer than 1024 are refused
 * before any search; searches that can return many entries are paged ({@code directory.pageSize}),
 * among them change tracking's reconciliation listing, at most one per {@code cache.reconcileInterval}.
 *
 * <p>Failure: no {@code LDAPException} leaves the package. A directory that cannot be reached, times
 * out or refuses a search gives {@code Lookup.TempFail} / {@code Login.TempFail} (451 / -ERR
 * [SYS/TEMP]), never "unknown" or "wrong password". Empty passwords are refused before binding.
 */
package io.postern.directory.ldap;
