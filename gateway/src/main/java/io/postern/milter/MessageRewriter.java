package io.postern.milter;

import io.postern.mail.MessageContent;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Applies the header and body edits of a verdict to a stored message, streaming the body when it
 * is not replaced. Envelope edits (recipients, sender) are left to the caller. Stateless.
 * Header values from milters get CRLF line ends; a value whose continuation lines do not start
 * with white space would start a new header, so it is refused.
 */
public final class MessageRewriter {
    private MessageRewriter() {
    }

    /** Writes {@code message} with {@code edits} applied to {@code out}. */
    public static void write(MessageContent message, List<Modification> edits, OutputStream out) throws IOException {
        try (InputStream in = new BufferedInputStream(message.open(), 65536)) {
            HeaderSection.Parsed parsed = HeaderSection.read(in);
            List<String[]> headers = new ArrayList<>();
            parsed.headers().forEach(h -> headers.add(new String[] {h.name(), h.rawValue()}));
            byte[] newBody = null;
            for (Modification edit : edits) {
                switch (edit) {
                    case Modification.AddHeader a -> headers.add(header(a.name(), a.value()));
                    case Modification.InsertHeader i -> headers.add(Math.min(i.index(), headers.size()), header(i.name(), i.value()));
                    case Modification.ChangeHeader c -> {
                        int at = nth(headers, c.name(), c.index());
                        if (at < 0) {
                            headers.add(header(c.name(), c.value()));
                        } else {
                            headers.set(at, header(headers.get(at)[0], c.value()));
                        }
                    }
                    case Modification.DeleteHeader d -> {
                        int at = nth(headers, d.name(), d.index());
                        if (at >= 0) {
                            headers.remove(at);
                        }
                    }
                    case Modification.ReplaceBody r -> newBody = crlf(r.body());
                    case Modification.AddRecipient a -> { }
                    case Modification.DeleteRecipient d -> { }
                    case Modification.ChangeSender c -> { }
                }
            }
            for (String[] h : headers) {
                out.write((h[0] + ":" + h[1] + "\r\n").getBytes(StandardCharsets.UTF_8));
            }
            out.write(new byte[] {'\r', '\n'});
            if (newBody != null) {
                out.write(newBody);
            } else {
                out.write(parsed.bodyStart());
                in.transferTo(out);
            }
        }
    }

    private static int nth(List<String[]> headers, String name, int index) {
        int seen = 0;
        for (int i = 0; i < headers.size(); i++) {
            if (headers.get(i)[0].toLowerCase(Locale.ROOT).equals(name.toLowerCase(Locale.ROOT)) && ++seen == index) {
                return i;
            }
        }
        return -1;
    }

    private static String[] header(String name, String value) {
        String[] lines = value.replace("\r\n", "\n").split("\n", -1);
        for (int i = 0; i < lines.length; i++) {
            boolean continues = i == 0 || (!lines[i].isEmpty() && (lines[i].charAt(0) == ' ' || lines[i].charAt(0) == '\t'));
            if (!continues || lines[i].indexOf('\r') >= 0) {
                throw new IllegalArgumentException("header " + name + " from a milter has a line that is not a continuation");
            }
        }
        return new String[] {name, " " + String.join("\r\n", lines)};
    }

    /** A body with every line end as CRLF. */
    static byte[] crlf(byte[] body) {
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream(body.length + 64);
        for (int i = 0; i < body.length; i++) {
            byte b = body[i];
            if (b == '\n' && (i == 0 || body[i - 1] != '\r')) {
                out.write('\r');
            }
            out.write(b);
        }
        return out.toByteArray();
    }
}
