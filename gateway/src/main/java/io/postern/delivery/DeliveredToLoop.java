package io.postern.delivery;

import io.postern.mail.MailAddress;
import io.postern.mail.MessageContent;
import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.Locale;

/**
 * Mail-forwarding loop check, as Postfix's local(8) does it: a message that already carries
 * {@code Delivered-To: <this address>} has been here before (a forward that came back), and
 * delivering it again would loop for ever. Reads only the header section, line by line; a header
 * line longer than {@link #MAX_LINE} is skipped (a Delivered-To line is short). Stateless.
 */
final class DeliveredToLoop {
    static final int MAX_LINE = 1000;
    private static final String NAME = "delivered-to:";

    private DeliveredToLoop() {
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
                if (!tooLong && text.regionMatches(true, 0, NAME, 0, NAME.length())
                        && text.substring(NAME.length()).trim().toLowerCase(Locale.ROOT).equals(wanted)) {
                    return true;
                }
                line.reset();
                tooLong = false;
            }
            return false;
        }
    }
}
