package io.postern.outbound;

import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * What the server announced in its EHLO/LHLO reply (RFC 5321 4.1.1.1): keywords, the SIZE
 * limit, the AUTH mechanisms. Immutable. {@link #none()} after HELO.
 */
public record Extensions(Set<String> keywords, long maxSize, Set<String> authMechanisms) {
    public Extensions {
        keywords = Set.copyOf(keywords);
        authMechanisms = Set.copyOf(authMechanisms);
    }

    public static Extensions none() {
        return new Extensions(Set.of(), 0, Set.of());
    }

    /** Parses the lines of a 250 EHLO reply; the first line is the server's greeting, not a keyword. */
    public static Extensions parse(SmtpReply ehlo) {
        Set<String> keywords = new HashSet<>();
        Set<String> auth = new HashSet<>();
        long size = 0;
        List<String> lines = ehlo.lines();
        for (int i = 1; i < lines.size(); i++) {
            String[] words = lines.get(i).trim().split("[ =]+");
            if (words.length == 0 || words[0].isEmpty()) {
                continue;
            }
            String keyword = words[0].toUpperCase(Locale.ROOT);
            keywords.add(keyword);
            if (keyword.equals("SIZE") && words.length > 1) {
                try {
                    size = Math.max(0, Long.parseLong(words[1]));
                } catch (NumberFormatException e) {
                    size = 0;
                }
            }
            if (keyword.equals("AUTH")) {
                for (int w = 1; w < words.length; w++) {
                    auth.add(words[w].toUpperCase(Locale.ROOT));
                }
            }
        }
        return new Extensions(keywords, size, auth);
    }

    public boolean has(String keyword) {
        return keywords.contains(keyword);
    }
}
