package io.postern.directory;

import io.postern.mail.MailAddress;
import java.util.HashSet;
import java.util.Locale;
import java.util.Objects;
import java.util.Set;

/**
 * One entry of the directory changed, as reported by change tracking. Immutable. The cache
 * evicts exactly what it affects: every address the entry had or has, the domains it names, the
 * group expansions that contain it, the logins, send-as and sender-rights answers of its DN (a
 * group's change: every sender-rights answer, as nested membership may change anywhere), and the
 * trusted networks read from it.
 *
 * @param kind what happened to the entry
 * @param dn the entry's DN after the change (for a rename, the new one), normalised with {@link #normalizeDn}
 * @param oldDn the entry's DN before a rename; equal to {@code dn} otherwise
 * @param oldAddresses the entry's mail addresses before the change (empty when unknown or new)
 * @param newAddresses its mail addresses after the change (empty when deleted)
 * @param domains accepted-domain names the entry carried before or after (mail domain entries)
 * @param group whether the entry is (or was) a group: nested expansions may change anywhere
 */
public record DirectoryChange(Kind kind, String dn, String oldDn, Set<MailAddress> oldAddresses,
                              Set<MailAddress> newAddresses, Set<String> domains, boolean group) {

    /** What happened to an entry. */
    public enum Kind { ADD, MODIFY, DELETE, RENAME }

    public DirectoryChange {
        Objects.requireNonNull(kind);
        dn = normalizeDn(dn);
        oldDn = normalizeDn(oldDn);
        oldAddresses = Set.copyOf(oldAddresses);
        newAddresses = Set.copyOf(newAddresses);
        domains = Set.copyOf(domains.stream().map(d -> d.toLowerCase(Locale.ROOT)).toList());
    }

    /** A change of a user or alias entry that keeps its DN. */
    public static DirectoryChange of(Kind kind, String dn, Set<MailAddress> oldAddresses, Set<MailAddress> newAddresses) {
        return new DirectoryChange(kind, dn, dn, oldAddresses, newAddresses, Set.of(), false);
    }

    /** The lower-cased keys ({@link MailAddress#key()}) of every address before and after. */
    public Set<String> addressKeys() {
        Set<String> keys = new HashSet<>();
        oldAddresses.forEach(a -> keys.add(a.key()));
        newAddresses.forEach(a -> keys.add(a.key()));
        return keys;
    }

    /** Both DNs, normalised. */
    public Set<String> dns() {
        return dn.equals(oldDn) ? Set.of(dn) : Set.of(dn, oldDn);
    }

    /**
     * A DN in the form used to compare DNs across the adapter and the cache: lower case, no
     * spaces around the separators. Good enough for the DNs directories hand out (they are
     * already in one form); escaped separators are kept as they are.
     */
    public static String normalizeDn(String dn) {
        Objects.requireNonNull(dn);
        StringBuilder out = new StringBuilder(dn.length());
        boolean escaped = false;
        for (int i = 0; i < dn.length(); i++) {
            char c = dn.charAt(i);
            if (!escaped && (c == ',' || c == '=' || c == '+')) {
                while (!out.isEmpty() && out.charAt(out.length() - 1) == ' ') {
                    out.setLength(out.length() - 1);
                }
                out.append(c);
                while (i + 1 < dn.length() && dn.charAt(i + 1) == ' ') {
                    i++;
                }
                continue;
            }
            escaped = !escaped && c == '\\';
            out.append(c);
        }
        return out.toString().trim().toLowerCase(Locale.ROOT);
    }
}
