package io.postern.mail;

/**
 * Strict parser behind {@link MailAddress#parse}. Untrusted input: any character outside the
 * grammar, any length over the limits, or any relay trick ({@code %}, {@code !}, source routes,
 * IP literals, a trailing dot, a quoted local part containing {@code @}) yields null.
 */
final class AddressParser {
    private AddressParser() {
    }

    static MailAddress parse(String text) {
        if (text == null || text.isEmpty() || text.length() > MailAddress.MAX_LOCAL_PART + 1 + MailAddress.MAX_DOMAIN) {
            return null;
        }
        int at = text.lastIndexOf('@');
        if (at <= 0 || at == text.length() - 1) {
            return null;
        }
        String local = text.substring(0, at);
        String domain = text.substring(at + 1);
        if (!validLocalPart(local) || !validDomain(domain)) {
            return null;
        }
        return new MailAddress(local, domain);
    }

    private static boolean validLocalPart(String local) {
        if (local.length() > MailAddress.MAX_LOCAL_PART) {
            return false;
        }
        if (local.startsWith("\"")) {
            return validQuoted(local);
        }
        if (local.startsWith(".") || local.endsWith(".") || local.contains("..")) {
            return false;
        }
        for (int i = 0; i < local.length(); i++) {
            char c = local.charAt(i);
            if (!(isAtext(c) || c == '.')) {
                return false;
            }
        }
        return true;
    }

    /** Quoted strings are allowed but never with {@code @}, {@code %}, {@code !} or control characters. */
    private static boolean validQuoted(String local) {
        if (local.length() < 3 || !local.endsWith("\"")) {
            return false;
        }
        for (int i = 1; i < local.length() - 1; i++) {
            char c = local.charAt(i);
            if (c < 0x20 || c == 0x7f || c == '@' || c == '%' || c == '!' || c == '"' || c == '\\') {
                return false;
            }
        }
        return true;
    }

    /** RFC 5322 atext minus the relay-routing characters {@code %} and {@code !}; UTF-8 allowed (RFC 6531). */
    private static boolean isAtext(char c) {
        if (c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9') {
            return true;
        }
        if (c >= 0x80) {
            return !Character.isISOControl(c) && !Character.isWhitespace(c) && c != '\u2028' && c != '\u2029';
        }
        return "#$&'*+-/=?^_`{|}~".indexOf(c) >= 0;
    }

    private static boolean validDomain(String domain) {
        if (domain.length() > MailAddress.MAX_DOMAIN || domain.endsWith(".") || domain.startsWith("[")) {
            return false;
        }
        String[] labels = domain.split("\\.", -1);
        if (labels.length < 2) {
            return false;
        }
        for (String label : labels) {
            if (label.isEmpty() || label.length() > 63 || label.startsWith("-") || label.endsWith("-")) {
                return false;
            }
            for (int i = 0; i < label.length(); i++) {
                char c = label.charAt(i);
                boolean ok = c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-'
                        || c >= 0x80 && Character.isLetterOrDigit(c);
                if (!ok) {
                    return false;
                }
            }
        }
        return true;
    }
}
