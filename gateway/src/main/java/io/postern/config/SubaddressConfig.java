package io.postern.config;

/**
 * Subaddressing: {@code user+tag@domain} reaches {@code user@domain}. {@code separators} is a set
 * of characters (like Postfix's recipient_delimiter): the local part is cut at the first of them.
 * The full address is looked up first, so a real mailbox named {@code a+b} still wins. Immutable.
 */
public record SubaddressConfig(boolean enabled, String separators) {

    static SubaddressConfig from(ConfigNode node) {
        boolean enabled = node.bool("enabled", true);
        String separators = node.string("separators", "+");
        if (enabled && separators.isEmpty()) {
            node.error("separators", "must name at least one character when subaddressing is enabled");
        }
        if (separators.contains("@") || separators.chars().anyMatch(c -> c < 0x21 || c > 0x7e)) {
            node.error("separators", "'" + separators + "' may hold only printable ASCII characters other than @");
        }
        return new SubaddressConfig(enabled, separators);
    }

    /** The base local part of {@code localPart}, or itself when it has no separator. */
    public String baseOf(String localPart) {
        if (!enabled) {
            return localPart;
        }
        for (int i = 1; i < localPart.length(); i++) {
            if (separators.indexOf(localPart.charAt(i)) >= 0) {
                return localPart.substring(0, i);
            }
        }
        return localPart;
    }
}
