package io.postern.mail;

import java.util.Locale;
import java.util.Objects;
import java.util.Optional;

/**
 * The RFC 3461 original recipient (RCPT TO ... ORCPT=), kept decoded: an address type and the
 * address. Type {@code rfc822} (and any other registered type) holds printable US-ASCII only (RFC
 * 3461 4.2); type {@code utf-8} (RFC 6533) holds any Unicode text without control characters. The
 * constructor enforces both, so a value can never carry a line break to another hop. Written to a
 * hop only through {@link #parameter(boolean)}. Immutable.
 */
public record OriginalRecipient(String addressType, String address) {
    public static final String RFC822 = "rfc822";
    public static final String UTF8 = "utf-8";
    /** Characters of the decoded address. */
    public static final int MAX_LENGTH = 500;

    public OriginalRecipient {
        Objects.requireNonNull(addressType);
        Objects.requireNonNull(address);
        addressType = addressType.toLowerCase(Locale.ROOT);
        if (!validType(addressType) || !validAddress(addressType, address)) {
            throw new IllegalArgumentException("not an RFC 3461 original recipient");
        }
    }

    /** The address a recipient had before we expanded it: rfc822 when ASCII, else utf-8 (RFC 6533). */
    public static OriginalRecipient of(MailAddress address) {
        String text = address.toString();
        return new OriginalRecipient(text.chars().allMatch(c -> c < 0x80) ? RFC822 : UTF8, text);
    }

    /** Decodes an ORCPT parameter as a client sent it: {@code addr-type ";" xtext} (or RFC 6533 forms for utf-8). */
    public static Decoded<OriginalRecipient> fromParameter(String value) {
        int semi = value.indexOf(';');
        if (semi <= 0 || !validType(value.substring(0, semi).toLowerCase(Locale.ROOT))) {
            return new Decoded.Malformed<>();
        }
        String type = value.substring(0, semi).toLowerCase(Locale.ROOT);
        String encoded = value.substring(semi + 1);
        Optional<String> decoded = type.equals(UTF8) ? Xtext.decodeUtf8Address(encoded) : Xtext.decode(encoded);
        if (decoded.isEmpty()) {
            return new Decoded.Malformed<>();
        }
        if (Xtext.hasControl(decoded.get())) {
            return new Decoded.HoldsControl<>();
        }
        return validAddress(type, decoded.get()) ? new Decoded.Valid<>(new OriginalRecipient(type, decoded.get()))
                : new Decoded.Malformed<>();
    }

    /**
     * A decoded value from storage, {@code type;address} (or a bare address, read as rfc822);
     * empty when it is not (or no longer) acceptable.
     */
    public static Optional<OriginalRecipient> of(String stored) {
        int semi = stored.indexOf(';');
        String type = semi <= 0 ? RFC822 : stored.substring(0, semi).toLowerCase(Locale.ROOT);
        String address = semi <= 0 ? stored : stored.substring(semi + 1);
        return validType(type) && validAddress(type, address) ? Optional.of(new OriginalRecipient(type, address))
                : Optional.empty();
    }

    /**
     * The value of an ORCPT parameter for another hop: {@code type;xtext}; for type utf-8 the RFC
     * 6533 utf-8-addr-unitext when the transaction uses SMTPUTF8 ({@code smtpUtf8}), else its
     * 7-bit utf-8-addr-xtext.
     */
    public String parameter(boolean smtpUtf8) {
        if (addressType.equals(UTF8)) {
            return UTF8 + ";" + (smtpUtf8 ? Xtext.encodeUtf8AddressUnitext(address) : Xtext.encodeUtf8AddressXtext(address));
        }
        return addressType + ";" + Xtext.encode(address);
    }

    /**
     * The value of a DSN's Original-Recipient field (RFC 3464 2.3.2): the address decoded, except
     * that a utf-8 address is in its 7-bit utf-8-addr-xtext form (RFC 6533 3, message/delivery-status).
     */
    public String dsnField() {
        return addressType + ";" + (addressType.equals(UTF8) ? Xtext.encodeUtf8AddressXtext(address) : address);
    }

    /** {@code type;address}, decoded: the form of the queue record. */
    @Override
    public String toString() {
        return addressType + ";" + address;
    }

    private static boolean validType(String type) {
        return !type.isEmpty() && type.length() <= 32 && type.chars().allMatch(c -> (c >= 'a' && c <= 'z')
                || (c >= '0' && c <= '9') || c == '-');
    }

    private static boolean validAddress(String type, String address) {
        if (address.isEmpty() || address.length() > MAX_LENGTH || Xtext.hasControl(address)) {
            return false;
        }
        if (type.equals(UTF8)) {
            return address.codePoints().noneMatch(cp -> Character.getType(cp) == Character.SURROGATE
                    || Character.getType(cp) == Character.LINE_SEPARATOR
                    || Character.getType(cp) == Character.PARAGRAPH_SEPARATOR);
        }
        return address.chars().allMatch(c -> c >= ' ' && c <= '~');
    }
}
