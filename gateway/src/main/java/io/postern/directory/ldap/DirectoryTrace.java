package io.postern.directory.ldap;

import java.util.ArrayList;
import java.util.List;

/**
 * What the directory adapter did to answer one question: each filter sent, where, how many
 * entries came back, and notes (which kind matched, the group expansion tree). Printed by
 * {@code postern lookup} and {@code postern auth-test}. Never holds passwords. Mutable, one
 * question at a time: not thread-safe. {@link #off()} records nothing.
 */
public final class DirectoryTrace {
    private static final DirectoryTrace OFF = new DirectoryTrace(false);

    private final boolean enabled;
    private final List<String> lines = new ArrayList<>();
    private int depth;

    private DirectoryTrace(boolean enabled) {
        this.enabled = enabled;
    }

    public static DirectoryTrace recording() {
        return new DirectoryTrace(true);
    }

    public static DirectoryTrace off() {
        return OFF;
    }

    void search(String base, String scope, String filter, int entries) {
        add("search base=\"" + base + "\" scope=" + scope + " filter=" + filter + " -> " + entries
                + (entries == 1 ? " entry" : " entries"));
    }

    /** A free-form step, for example a cache layer's "hit" or "miss". */
    public void note(String text) {
        add(text);
    }

    void enter() {
        if (enabled) {
            depth++;
        }
    }

    void exit() {
        if (enabled && depth > 0) {
            depth--;
        }
    }

    private void add(String text) {
        if (enabled) {
            lines.add("  ".repeat(depth) + text);
        }
    }

    public List<String> lines() {
        return List.copyOf(lines);
    }
}
