package io.postern.it.outbound;

import io.postern.mail.Envelope;
import io.postern.mail.EnvelopeRecipient;
import io.postern.mail.MailAddress;
import io.postern.mail.MessageContent;
import io.postern.mail.QueuedMessage;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

/** Test messages stored in files, as the queue would hand them over. */
final class OutboundMessages {
    private OutboundMessages() {
    }

    static EnvelopeRecipient rcpt(String address) {
        return EnvelopeRecipient.of(MailAddress.parse(address).orElseThrow());
    }

    /** A message whose body contains {@code marker} and a line starting with a dot (to see dot-stuffing work). */
    static QueuedMessage message(Path dir, String marker, List<EnvelopeRecipient> recipients) throws IOException {
        String text = "From: alice@origin.test\r\nTo: someone\r\nSubject: outbound " + marker + "\r\n\r\n"
                + "Hello.\r\n.leading dot line\r\n..two dots\r\n" + marker + "\r\n";
        Path file = Files.createTempFile(dir, "msg-", ".eml");
        Files.writeString(file, text, StandardCharsets.US_ASCII);
        MessageContent content = new MessageContent() {
            @Override
            public InputStream open() throws IOException {
                return Files.newInputStream(file);
            }

            @Override
            public long size() {
                try {
                    return Files.size(file);
                } catch (IOException e) {
                    return 0;
                }
            }
        };
        Envelope envelope = new Envelope(MailAddress.parse("alice@origin.test"), recipients, Envelope.BodyType.SEVEN_BIT,
                false, Optional.empty(), Optional.empty(), new Envelope.SessionTrace("127.0.0.1", "localhost",
                "localhost", "ESMTP", Optional.empty(), Optional.empty(), Instant.now()));
        return new QueuedMessage("Q" + marker, envelope, content);
    }
}
