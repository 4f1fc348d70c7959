package io.postern.admin;

import java.net.InetAddress;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * Which {@code Host} headers the admin endpoint answers: an IP literal ({@code 10.1.2.3},
 * {@code [::1]}) or one of the configured names, each with an optional port. A page that a
 * browser loaded from an attacker's name, later rebound to 127.0.0.1, still sends that name: it
 * gets 421 and learns nothing. Immutable.
 */
public record HostPolicy(Set<String> names) {
    public HostPolicy {
        names = Set.copyOf(names.stream().map(n -> n.toLowerCase(Locale.ROOT)).toList());
    }

    public static HostPolicy of(List<String> names) {
        return new HostPolicy(Set.copyOf(names));
    }

    /** The verdict on one request's Host headers (all of them: two is malformed). */
    public Verdict check(List<String> hostHeaders) {
        if (hostHeaders.size() != 1) {
            return Verdict.MALFORMED;
        }
        String host = hostHeaders.getFirst().trim();
        String name;
        String port;
        if (host.startsWith("[")) {
            int end = host.indexOf(']');
            if (end < 0) {
                return Verdict.MALFORMED;
            }
            name = host.substring(1, end);
            String after = host.substring(end + 1);
            if (!after.isEmpty() && !after.startsWith(":")) {
                return Verdict.MALFORMED;
            }
            port = after.isEmpty() ? "" : after.substring(1);
            if (!name.contains(":") || literal(name) == Verdict.MALFORMED) {
                return Verdict.MALFORMED;
            }
            return validPort(port) ? Verdict.ALLOWED : Verdict.MALFORMED;
        }
        int colon = host.indexOf(':');
        if (colon != host.lastIndexOf(':')) {
            return Verdict.MALFORMED; // an IPv6 literal must be in brackets
        }
        name = colon < 0 ? host : host.substring(0, colon);
        port = colon < 0 ? "" : host.substring(colon + 1);
        if (name.isEmpty() || (colon >= 0 && port.isEmpty()) || !validPort(port)) {
            return Verdict.MALFORMED;
        }
        if (name.matches("[0-9.]+")) {
            return literal(name);
        }
        String lower = name.toLowerCase(Locale.ROOT);
        if (lower.endsWith(".")) {
            lower = lower.substring(0, lower.length() - 1);
        }
        if (!lower.matches("[a-z0-9.-]+")) {
            return Verdict.MALFORMED;
        }
        return names.contains(lower) ? Verdict.ALLOWED : Verdict.MISDIRECTED;
    }

    private static Verdict literal(String text) {
        try {
            InetAddress.ofLiteral(text);
            return Verdict.ALLOWED;
        } catch (IllegalArgumentException e) {
            return Verdict.MALFORMED;
        }
    }

    private static boolean validPort(String port) {
        return port.isEmpty() || (port.matches("\\d{1,5}") && Integer.parseInt(port) <= 65_535);
    }

    /** ALLOWED: serve it; MISDIRECTED: 421; MALFORMED: 400. */
    public enum Verdict {
        ALLOWED, MISDIRECTED, MALFORMED
    }
}
