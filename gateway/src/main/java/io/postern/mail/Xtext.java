package io.postern.mail;

import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.Optional;

/**
 * The encodings of ESMTP parameter values: RFC 3461 xtext ({@code +HH} escapes, for ENVID, ORCPT
 * and AUTH=) and RFC 6533 utf-8-addr-xtext / utf-8-addr-unitext ({@code \x{HEX}} escapes, for
 * ORCPT with address type {@code utf-8}). Decoding takes untrusted input and never throws: a
 * malformed value is empty. Encoding is total: whatever the value holds, the result holds only
 * characters that are safe inside an SMTP command line (no space, no control, no '=', no '+'
 * except as an escape). Stateless.
 */
public final class Xtext {
    private Xtext() {
    }

    /**
     * RFC 3461 4: decodes {@code +HH} (upper-case hex) escapes; every other character must be a
     * printable ASCII xchar. Each decoded octet becomes the char of the same value (ISO-8859-1),
     * so a caller that allows only ASCII sees any 8-bit octet as such.
     */
    public static Optional<String> decode(String text) {
        StringBuilder out = new StringBuilder(text.length());
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c == '+') {
                if (i + 2 >= text.length()) {
                    return Optional.empty();
                }
                int hi = upperHex(text.charAt(i + 1));
                int lo = upperHex(text.charAt(i + 2));
                if (hi < 0 || lo < 0) {
                    return Optional.empty();
                }
                out.append((char) (hi << 4 | lo));
                i += 2;
            } else if (c < '!' || c > '~' || c == '=') {
                return Optional.empty();
            } else {
                out.append(c);
            }
        }
        return Optional.of(out.toString());
    }

    /**
     * RFC 3461 4: the inverse of {@link #decode}: each char up to U+00FF is one octet, xchars as
     * they are, every other octet as {@code +HH}. A char above U+00FF (never produced by decoding)
     * is written as its UTF-8 octets, so the result is always safe on a command line.
     */
    public static String encode(String value) {
        StringBuilder out = new StringBuilder(value.length() + 8);
        for (int i = 0; i < value.length(); i++) {
            char ch = value.charAt(i);
            if (ch > 0xff) {
                int end = Character.isHighSurrogate(ch) && i + 1 < value.length() ? i + 2 : i + 1;
                for (byte b : value.substring(i, end).getBytes(StandardCharsets.UTF_8)) {
                    out.append('+').append(hex(b & 0xff, 2));
                }
                i = end - 1;
            } else if (ch >= '!' && ch <= '~' && ch != '+' && ch != '=') {
                out.append(ch);
            } else {
                out.append('+').append(hex(ch, 2));
            }
        }
        return out.toString();
    }

    /**
     * RFC 6533 3: decodes utf-8-addr-xtext and utf-8-addr-unitext ({@code \x{HEX}} escapes;
     * printable ASCII other than '+', '=', '\' and space as is; non-ASCII as is). Empty when
     * malformed, including escapes of surrogates, of zero or with leading zeros.
     */
    public static Optional<String> decodeUtf8Address(String text) {
        StringBuilder out = new StringBuilder(text.length());
        int i = 0;
        while (i < text.length()) {
            int cp = text.codePointAt(i);
            if (cp == '\\') {
                int close = text.indexOf('}', i);
                if (!text.startsWith("\\x{", i) || close < 0) {
                    return Optional.empty();
                }
                String digits = text.substring(i + 3, close);
                if (digits.length() < 2 || digits.length() > 6 || !digits.chars().allMatch(d -> upperHex((char) d) >= 0)
                        || (digits.length() > 2 && digits.charAt(0) == '0')) {
                    return Optional.empty();
                }
                int value = Integer.parseInt(digits, 16);
                if (value == 0 || value > Character.MAX_CODE_POINT
                        || (value >= Character.MIN_SURROGATE && value <= Character.MAX_SURROGATE)) {
                    return Optional.empty();
                }
                out.appendCodePoint(value);
                i = close + 1;
            } else if (cp < 0x80 && (cp <= ' ' || cp == 0x7f || cp == '+' || cp == '=')) {
                return Optional.empty();
            } else if (cp >= Character.MIN_SURROGATE && cp <= Character.MAX_SURROGATE) {
                // An unpaired surrogate: the command line was not valid UTF-8 to begin with.
                return Optional.empty();
            } else {
                out.appendCodePoint(cp);
                i += Character.charCount(cp);
            }
        }
        return Optional.of(out.toString());
    }

    /** RFC 6533 utf-8-addr-xtext: 7-bit, for a session without SMTPUTF8. */
    public static String encodeUtf8AddressXtext(String value) {
        return utf8Address(value, false);
    }

    /**
     * RFC 6533 utf-8-addr-unitext: non-ASCII letters as UTF-8, for a session that uses SMTPUTF8.
     * Characters that are invisible or break lines in some software (controls, format characters,
     * line and paragraph separators, unassigned code points) are escaped all the same.
     */
    public static String encodeUtf8AddressUnitext(String value) {
        return utf8Address(value, true);
    }

    private static String utf8Address(String value, boolean unicode) {
        StringBuilder out = new StringBuilder(value.length() + 8);
        value.codePoints().forEach(cp -> {
            if (cp > ' ' && cp < 0x7f && cp != '+' && cp != '=' && cp != '\\') {
                out.append((char) cp);
            } else if (unicode && cp >= 0x80 && safeUnicode(cp)) {
                out.appendCodePoint(cp);
            } else {
                out.append("\\x{").append(hex(cp, 2)).append('}');
            }
        });
        return out.toString();
    }

    private static boolean safeUnicode(int cp) {
        return switch (Character.getType(cp)) {
            case Character.CONTROL, Character.FORMAT, Character.LINE_SEPARATOR, Character.PARAGRAPH_SEPARATOR,
                 Character.UNASSIGNED, Character.SURROGATE, Character.PRIVATE_USE, Character.SPACE_SEPARATOR -> false;
            default -> true;
        };
    }

    /**
     * True when {@code value} holds a control character: C0 (CR, LF, NUL, TAB ...), DEL or C1.
     * Such a value is refused wherever it would be carried to another hop.
     */
    public static boolean hasControl(String value) {
        return value.codePoints().anyMatch(cp -> Character.getType(cp) == Character.CONTROL);
    }

    private static int upperHex(char c) {
        if (c >= '0' && c <= '9') {
            return c - '0';
        }
        if (c >= 'A' && c <= 'F') {
            return c - 'A' + 10;
        }
        return -1;
    }

    private static String hex(int value, int minDigits) {
        String digits = Integer.toHexString(value).toUpperCase(Locale.ROOT);
        return digits.length() >= minDigits ? digits : "0".repeat(minDigits - digits.length()) + digits;
    }
}
