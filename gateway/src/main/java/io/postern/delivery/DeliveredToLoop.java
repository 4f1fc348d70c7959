package io.postern.delivery;

import io.postern.mail.MailAddress;
import io.postern.mail.MessageContent;
import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;

/**
 * Mail-forwarding loop check, as Postfix's local(8) does it: a message that already carries
 * {@code Delivered-To: <this address>} has been here before (a forward that came back), and
 * delivering it again would loop for ever. Reads only the header section, line by line; a header
 * line longer than {@link #MAX_LINE} is skipped (a Delivered-To line is short). Stateless.
 */
final class DeliveredToLoop {
    static final int MAX_LINE = 1000;
    private static final String NAME = "delivered-to";

    private DeliveredToLoop() {
    }

    /** Is {@code address} among {@code values}, the lower-case addresses of a message's Delivered-To fields? */
    static boolean seen(Set<String> values, MailAddress address) {
        return values.contains(address.toString().toLowerCase(Locale.ROOT));
    }

    /**
     * The lower-case value of a {@code Delivered-To} field on this header line, or empty. White
     * space before the colon (RFC 5322 4.5.3, obsolete syntax) is allowed, as the SMTP front end
     * allows it when it collects the same values.
     */
    static Optional<String> value(String line) {
        if (!line.regionMatches(true, 0, NAME, 0, NAME.length())) {
            return Optional.empty();
        }
        int i = NAME.length();
        while (i < line.length() && (line.charAt(i) == ' ' || line.charAt(i) == '\t')) {
            i++;
        }
        if (i >= line.length() || line.charAt(i) != ':') {
            return Optional.empty();
        }
        return Optional.of(line.substring(i + 1).trim().toLowerCase(Locale.ROOT));
    }

    static boolean seen(MessageContent content, MailAddress address) throws IOException {
        String wanted = address.toString().toLowerCase(Locale.ROOT);
        try (InputStream in = new BufferedInputStream(content.open(), 16 * 1024)) {
            ByteArrayOutputStream line = new ByteArrayOutputStream();
            boolean tooLong = false;
            int b;
            while ((b = in.read()) >= 0) {
                if (b != '\n') {
                    if (line.size() < MAX_LINE) {
                        line.write(b);
                    } else {
                        tooLong = true;
                    }
                    continue;
                }
                String text = line.toString(StandardCharsets.UTF_8).stripTrailing();
                if (text.isEmpty()) {
                    return false; // end of the header section
                }
                if (!tooLong && value(text).filter(wanted::equals).isPresent()) {
                    return true;
                }
                line.reset();
                tooLong = false;
            }
            return false;
        }
    }
}
