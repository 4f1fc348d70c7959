package io.postern.smtp.inbound.session;

import io.postern.mail.HandoffKey;
import io.postern.smtp.reply.SmtpReply;
import java.util.ArrayList;
import java.util.List;

/**
 * The multi-line EHLO/LHLO reply: the greeting line, then the extensions this session offers
 * now. STARTTLS only before TLS and where the listener allows it; AUTH only where the policy
 * offers it and before a login; the hand-off key on LMTP. Stateless.
 */
final class EhloReply {
    private EhloReply() {
    }

    static String render(String hostname, String clientName, long maxMessageSize, boolean startTls, boolean auth,
            boolean handoffKey) {
        List<String> lines = new ArrayList<>(List.of("PIPELINING", "SIZE " + maxMessageSize, "8BITMIME", "SMTPUTF8",
                "ENHANCEDSTATUSCODES", "CHUNKING"));
        if (handoffKey) {
            lines.add(HandoffKey.KEYWORD);
        }
        lines.add("DSN");
        if (startTls) {
            lines.add("STARTTLS");
        }
        if (auth) {
            lines.add("AUTH PLAIN LOGIN");
        }
        StringBuilder out = new StringBuilder(SmtpReply.EHLO_FIRST.continuation(hostname, TraceHeaders.safe(clientName)));
        for (int i = 0; i < lines.size(); i++) {
            out.append(i == lines.size() - 1 ? SmtpReply.HELO_OK.line(lines.get(i))
                    : SmtpReply.HELO_OK.continuation(lines.get(i)));
        }
        return out.toString();
    }
}
