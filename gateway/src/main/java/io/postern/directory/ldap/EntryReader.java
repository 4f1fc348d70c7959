package io.postern.directory.ldap;

import com.unboundid.ldap.sdk.Entry;
import com.unboundid.ldap.sdk.Filter;
import com.unboundid.ldap.sdk.LDAPException;
import io.postern.config.DirectoryMapping;
import io.postern.mail.MailAddress;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;

/**
 * Reads Postern's facts out of a directory entry through the configured attribute names:
 * addresses (with AD's {@code SMTP:}/{@code smtp:} prefixes), forwarding, quota, spool, account
 * state. Directory content is trusted to be well meant but not well formed: values that do not
 * parse are skipped, never fatal. Immutable, thread-safe.
 */
final class EntryReader {
    /** userAccountControl ACCOUNTDISABLE. */
    static final int UAC_DISABLED = 0x2;

    private final DirectoryMapping.Attributes attributes;
    private final String prefix;

    EntryReader(DirectoryMapping.Attributes attributes) {
        this.attributes = attributes;
        this.prefix = attributes.alternateAddressPrefix().toLowerCase(Locale.ROOT);
    }

    /** The attributes every lookup asks for. */
    String[] recipientAttributes() {
        List<String> names = new ArrayList<>(List.of("objectClass"));
        for (String name : List.of(attributes.mail(), attributes.alternateAddress(), attributes.forwardingAddress(),
                attributes.keepCopy(), attributes.quota(), attributes.accountStatus(), attributes.accountControl(),
                attributes.spool(), attributes.allowedSender(), attributes.aliasAddress(), attributes.aliasTarget(),
                attributes.homeServer())) {
            if (!name.isEmpty()) {
                names.add(name);
            }
        }
        return names.toArray(String[]::new);
    }

    /** {@link #recipientAttributes()} plus the member attributes (group expansion). */
    String[] memberAttributes() {
        List<String> names = new ArrayList<>(List.of(recipientAttributes()));
        names.addAll(attributes.member());
        return names.toArray(String[]::new);
    }

    /** The value to search the alternate-address attribute for ({@code smtp:a@b} on AD). */
    String alternateValue(String address) {
        return attributes.alternateAddressPrefix() + address;
    }

    /**
     * The address mail is delivered under: {@code mail}, else the primary ({@code SMTP:}, upper
     * case) proxy address, else the first alternate address.
     */
    Optional<MailAddress> primary(Entry entry) {
        Optional<MailAddress> mail = values(entry, attributes.mail()).stream().map(EntryReader::parse)
                .flatMap(Optional::stream).findFirst();
        if (mail.isPresent() || attributes.alternateAddress().isEmpty()) {
            return mail;
        }
        List<String> alternates = values(entry, attributes.alternateAddress());
        if (!prefix.isEmpty()) {
            String upper = attributes.alternateAddressPrefix().toUpperCase(Locale.ROOT);
            for (String value : alternates) {
                if (value.startsWith(upper)) {
                    Optional<MailAddress> parsed = parse(value.substring(upper.length()));
                    if (parsed.isPresent()) {
                        return parsed;
                    }
                }
            }
        }
        return alternateAddresses(entry).stream().findFirst();
    }

    /** Every address of the entry: mail and the alternate addresses (an alias entry's own address too). */
    Set<String> addressKeys(Entry entry) {
        Set<String> keys = new LinkedHashSet<>();
        values(entry, attributes.mail()).stream().map(EntryReader::parse).flatMap(Optional::stream)
                .forEach(a -> keys.add(a.key()));
        alternateAddresses(entry).forEach(a -> keys.add(a.key()));
        if (!attributes.aliasAddress().equals(attributes.mail())) {
            addresses(entry, attributes.aliasAddress()).forEach(a -> keys.add(a.key()));
        }
        return keys;
    }

    /** Alternate addresses without prefix; on AD, values with other prefixes (X500:, SIP:) are not addresses. */
    List<MailAddress> alternateAddresses(Entry entry) {
        List<MailAddress> out = new ArrayList<>();
        for (String value : values(entry, attributes.alternateAddress())) {
            if (prefix.isEmpty()) {
                parse(value).ifPresent(out::add);
            } else if (value.toLowerCase(Locale.ROOT).startsWith(prefix)) {
                parse(value.substring(prefix.length())).ifPresent(out::add);
            }
        }
        return out;
    }

    List<MailAddress> forwardingAddresses(Entry entry) {
        return addresses(entry, attributes.forwardingAddress());
    }

    /** Where an alias entry sends its mail. */
    List<MailAddress> aliasTargets(Entry entry) {
        return addresses(entry, attributes.aliasTarget());
    }

    List<MailAddress> allowedSenders(Entry entry) {
        return addresses(entry, attributes.allowedSender());
    }

    boolean keepCopy(Entry entry) {
        String value = attributes.keepCopy().isEmpty() ? null : entry.getAttributeValue(attributes.keepCopy());
        return value != null && value.equalsIgnoreCase("TRUE");
    }

    OptionalLong quota(Entry entry) {
        String value = attributes.quota().isEmpty() ? null : entry.getAttributeValue(attributes.quota());
        if (value == null) {
            return OptionalLong.empty();
        }
        try {
            long bytes = Long.parseLong(value.trim());
            return bytes >= 0 ? OptionalLong.of(bytes) : OptionalLong.empty();
        } catch (NumberFormatException e) {
            return OptionalLong.empty();
        }
    }

    Optional<String> spool(Entry entry) {
        String value = attributes.spool().isEmpty() ? null : entry.getAttributeValue(attributes.spool());
        return value == null || value.isBlank() ? Optional.empty() : Optional.of(value.trim());
    }

    /** The home-server attribute's value (mailHost, msExchHomeServerName...), as the directory holds it. */
    Optional<String> homeServer(Entry entry) {
        String value = attributes.homeServer().isEmpty() ? null : entry.getAttributeValue(attributes.homeServer());
        return value == null || value.isBlank() ? Optional.empty() : Optional.of(value.trim());
    }

    /** accountStatus other than "active", or userAccountControl with ACCOUNTDISABLE. */
    boolean disabled(Entry entry) {
        if (!attributes.accountStatus().isEmpty()) {
            String status = entry.getAttributeValue(attributes.accountStatus());
            if (status != null && !status.trim().equalsIgnoreCase("active")) {
                return true;
            }
        }
        if (!attributes.accountControl().isEmpty()) {
            String uac = entry.getAttributeValue(attributes.accountControl());
            if (uac != null) {
                try {
                    return (Long.parseLong(uac.trim()) & UAC_DISABLED) != 0;
                } catch (NumberFormatException e) {
                    return true;
                }
            }
        }
        return false;
    }

    /** Member DNs over every configured member attribute. */
    List<String> memberDns(Entry entry) {
        List<String> out = new ArrayList<>();
        for (String name : attributes.member()) {
            out.addAll(values(entry, name));
        }
        return out;
    }

    /** Whether {@code entry} matches {@code filter}, judged locally on the attributes fetched. */
    static boolean matches(Filter filter, Entry entry) {
        try {
            return filter.matchesEntry(entry);
        } catch (LDAPException e) {
            return false;
        }
    }

    private List<MailAddress> addresses(Entry entry, String attribute) {
        return values(entry, attribute).stream().map(EntryReader::parse).flatMap(Optional::stream).toList();
    }

    private static List<String> values(Entry entry, String attribute) {
        if (attribute.isEmpty()) {
            return List.of();
        }
        String[] values = entry.getAttributeValues(attribute);
        return values == null ? List.of() : List.of(values);
    }

    private static Optional<MailAddress> parse(String value) {
        return MailAddress.parse(value.trim());
    }
}
