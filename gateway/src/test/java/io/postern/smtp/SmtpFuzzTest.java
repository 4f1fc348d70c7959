package io.postern.smtp;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.DictionaryEntries;
import com.code_intelligence.jazzer.junit.FuzzTest;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.postern.mail.MailAddress;
import io.postern.smtp.inbound.codec.DataDecoder;
import io.postern.smtp.inbound.codec.LineFramer;
import io.postern.smtp.inbound.codec.MessageStream;
import io.postern.smtp.inbound.command.Command;
import io.postern.smtp.inbound.command.CommandParser;
import io.postern.smtp.reply.SmtpReply;
import java.io.ByteArrayOutputStream;
import java.util.Arrays;
import java.util.Map;

/**
 * Jazzer targets for the untrusted-input stages of an SMTP session. Each checks invariants, not
 * just the absence of exceptions: the parser always returns a command and never lets a control
 * byte or a broken address through; the line framer never returns a line over the limit; DATA
 * ends only right after {@code <CRLF>.<CRLF>}; in reject mode an accepted message has no bare CR
 * or LF; BDAT content does not depend on where the chunks end.
 *
 * <p>Dictionary entries use libFuzzer's syntax: octets outside printable ASCII as {@code \\xNN}.
 */
class SmtpFuzzTest {

    @DictionaryEntries({"MAIL FROM:<", "RCPT TO:<", "EHLO ", "BDAT ", " LAST", "AUTH PLAIN ", "STARTTLS", "postmaster", "@[", "\\x22", "SIZE=", "BODY=8BITMIME", "SMTPUTF8", "ORCPT=rfc822;", "NOTIFY=", "ENVID=", "RET=FULL"})
    @FuzzTest(maxDuration = "60s")
    void commandLine(byte[] line) {
        Command command = CommandParser.parse(line);
        if (command == null) {
            throw new IllegalStateException("parser returned null");
        }
        boolean controls = false;
        for (byte b : line) {
            controls |= (b >= 0 && b < 0x20 && b != '\t') || b == 0x7f;
        }
        if (controls && !(command instanceof Command.Invalid)) {
            throw new IllegalStateException("control byte accepted in " + command);
        }
        switch (command) {
            case Command.Invalid(SmtpReply reply) -> oneLine(reply.line(), line);
            case Command.Hello(Command.Verb verb, String name) -> {
                if (name.isEmpty() || name.chars().anyMatch(c -> c <= ' ' || c == 0x7f)) {
                    throw new IllegalStateException("HELO name " + printable(name));
                }
            }
            case Command.Mail(var sender, Map<String, String> parameters) -> {
                sender.ifPresent(SmtpFuzzTest::address);
                parameters(parameters);
            }
            case Command.Rcpt(MailAddress recipient, Map<String, String> parameters) -> {
                address(recipient);
                parameters(parameters);
            }
            case Command.RcptPostmaster(Map<String, String> parameters) -> parameters(parameters);
            case Command.Bdat(long size, boolean last) -> {
                if (size < 0) {
                    throw new IllegalStateException("negative BDAT size " + size);
                }
            }
            case Command.Auth(String mechanism, var initial) -> {
                if (mechanism.isEmpty() || !mechanism.equals(mechanism.toUpperCase(java.util.Locale.ROOT))) {
                    throw new IllegalStateException("AUTH mechanism " + printable(mechanism));
                }
            }
            case Command.Data d -> {
            }
            case Command.Simple s -> {
            }
        }
    }

    /** A reply is one protocol line: it ends with CRLF and holds no other CR or LF. */
    private static void oneLine(String reply, byte[] input) {
        int cr = reply.indexOf('\r');
        int lf = reply.indexOf('\n');
        if (cr != reply.length() - 2 || lf != reply.length() - 1) {
            throw new IllegalStateException("reply " + printable(reply) + " to " + Arrays.toString(input));
        }
    }

    /** An accepted address can be written back into a path on another hop without adding a line or a path end. */
    private static void address(MailAddress address) {
        String text = address.toString();
        if (text.chars().anyMatch(c -> c < 0x20 || c == 0x7f) || address.domain().isEmpty()
                || address.localPart().isEmpty()) {
            throw new IllegalStateException("address " + printable(text));
        }
        if (!MailAddress.parse(text).equals(java.util.Optional.of(address))) {
            throw new IllegalStateException("address does not parse back: " + printable(text));
        }
    }

    private static void parameters(Map<String, String> parameters) {
        for (Map.Entry<String, String> e : parameters.entrySet()) {
            if (!e.getKey().matches("[A-Z0-9][A-Z0-9-]*")) {
                throw new IllegalStateException("parameter key " + printable(e.getKey()));
            }
            if (e.getValue().chars().anyMatch(c -> c <= ' ' || c == 0x7f)) {
                throw new IllegalStateException("parameter value " + printable(e.getValue()));
            }
        }
    }

    static String printable(String text) {
        StringBuilder out = new StringBuilder();
        text.codePoints().forEach(c -> out.append(c >= 0x20 && c < 0x7f && c != '\\' ? Character.toString(c)
                : String.format("\\u%04x", c)));
        return out.toString();
    }

    @FuzzTest(maxDuration = "60s")
    void lineFramer(FuzzedDataProvider data) {
        int max = data.consumeInt(3, 600);
        LineFramer framer = new LineFramer();
        ByteBuf in = Unpooled.buffer();
        try {
            while (data.remainingBytes() > 0) {
                in.writeBytes(data.consumeBytes(data.consumeInt(1, 700)));
                while (true) {
                    LineFramer.Result r = framer.next(in, max);
                    if (r instanceof LineFramer.Line(byte[] bytes)) {
                        if (bytes.length > max - 1) {
                            throw new IllegalStateException("line of " + bytes.length + " over limit " + max);
                        }
                        for (byte b : bytes) {
                            if (b == '\n') {
                                throw new IllegalStateException("LF inside a line");
                            }
                        }
                    } else if (r instanceof LineFramer.NeedMore) {
                        break;
                    }
                }
                if (in.readableBytes() > max) {
                    throw new IllegalStateException("framer keeps " + in.readableBytes() + " bytes");
                }
                in.discardReadBytes();
            }
        } finally {
            in.release();
        }
    }

    @DictionaryEntries({"\\x0D\\x0A.\\x0D\\x0A", "\\x0D\\x0A..", "Received:", "Message-ID:", "Date:", "\\x0D\\x0A\\x0D\\x0A"})
    @FuzzTest(maxDuration = "60s")
    void dataPath(FuzzedDataProvider data) {
        boolean normalize = data.consumeBoolean();
        byte[] input = data.consumeRemainingAsBytes();
        ByteArrayOutputStream stored = new ByteArrayOutputStream();
        MessageStream stream = new MessageStream(new MessageStream.Limits(1 << 20, 1000, 50, normalize), stored::write);
        DataDecoder decoder = new DataDecoder(stream::write);
        int offset = 0;
        int chunk = 1 + (input.length % 7);
        while (offset < input.length && !decoder.finished()) {
            int length = Math.min(chunk, input.length - offset);
            int consumed = decoder.decode(input, offset, length);
            if (consumed < 0 || consumed > length) {
                throw new IllegalStateException("consumed " + consumed + " of " + length);
            }
            offset += consumed;
            if (consumed < length && !decoder.finished()) {
                throw new IllegalStateException("stopped early without an end");
            }
        }
        if (decoder.finished()) {
            byte[] head = Arrays.copyOf(input, offset);
            boolean endsRight = offset == 3 ? new String(head, java.nio.charset.StandardCharsets.ISO_8859_1).equals(".\r\n")
                    : offset >= 5 && head[offset - 5] == '\r' && head[offset - 4] == '\n' && head[offset - 3] == '.'
                    && head[offset - 2] == '\r' && head[offset - 1] == '\n';
            if (!endsRight) {
                throw new IllegalStateException("DATA ended without <CRLF>.<CRLF>");
            }
            stream.finish();
            if (stream.problem().isEmpty()) {
                byte[] out = stored.toByteArray();
                for (int i = 0; i < out.length; i++) {
                    boolean bareLf = out[i] == '\n' && (i == 0 || out[i - 1] != '\r');
                    boolean bareCr = out[i] == '\r' && (i + 1 >= out.length || out[i + 1] != '\n');
                    if (bareLf || bareCr) {
                        throw new IllegalStateException("bare line ending stored at " + i);
                    }
                }
            }
        }
    }

    /**
     * BDAT chunks go to the message stream as they are (no dot-stuffing). Whatever the chunk
     * sizes, the result is the same; accepted content has only CRLF line ends, lines within the
     * limit, a size within the limit and equal to what was stored; without normalisation it is the
     * client's octets unchanged (plus the CRLF that closes an unterminated header section).
     */
    @DictionaryEntries({"\\x0D\\x0A", "Received: ", "received:", "Message-ID:", "Date:", "\\x0D\\x0A\\x0D\\x0A"})
    @FuzzTest(maxDuration = "60s")
    void bdatPath(FuzzedDataProvider data) {
        MessageStream.Limits limits = new MessageStream.Limits(data.consumeLong(0, 4096), data.consumeInt(3, 300),
                data.consumeInt(0, 5), data.consumeBoolean());
        int[] chunks = data.consumeInts(8);
        byte[] input = data.consumeRemainingAsBytes();

        ByteArrayOutputStream whole = new ByteArrayOutputStream();
        MessageStream one = new MessageStream(limits, whole::write);
        one.write(input, 0, input.length);
        one.finish();

        ByteArrayOutputStream pieces = new ByteArrayOutputStream();
        MessageStream split = new MessageStream(limits, pieces::write);
        int offset = 0;
        for (int i = 0; offset < input.length; i++) {
            int length = chunks.length == 0 ? input.length
                    : Math.min(input.length - offset, 1 + Math.floorMod(chunks[i % chunks.length], 97));
            split.write(input, offset, length);
            offset += length;
        }
        split.finish();

        if (!one.problem().equals(split.problem())) {
            throw new IllegalStateException("chunking changed the outcome: " + one.problem() + " / " + split.problem());
        }
        if (one.problem().isPresent()) {
            return;
        }
        byte[] out = whole.toByteArray();
        if (!Arrays.equals(out, pieces.toByteArray())) {
            throw new IllegalStateException("chunking changed the content");
        }
        if (one.size() != out.length || one.size() > limits.maxSize()) {
            throw new IllegalStateException("size " + one.size() + " for " + out.length + " stored, limit " + limits.maxSize());
        }
        if (one.receivedHeaders() > limits.maxReceivedHeaders()) {
            throw new IllegalStateException(one.receivedHeaders() + " Received headers let through");
        }
        int lineStart = 0;
        for (int i = 0; i < out.length; i++) {
            boolean bareLf = out[i] == '\n' && (i == 0 || out[i - 1] != '\r');
            boolean bareCr = out[i] == '\r' && (i + 1 >= out.length || out[i + 1] != '\n');
            if (bareLf || bareCr) {
                throw new IllegalStateException("bare line ending stored at " + i);
            }
            if (out[i] == '\n') {
                lineStart = i + 1;
            } else if (out[i] != '\r' && i - lineStart + 1 > limits.maxLineLength() - 2) {
                throw new IllegalStateException("line over " + limits.maxLineLength() + " stored at " + i);
            }
        }
        if (!limits.normalizeBareLineEndings()) {
            boolean same = Arrays.equals(out, input);
            boolean closedHeaders = out.length == input.length + 2 && Arrays.equals(out, 0, input.length, input, 0, input.length)
                    && out[input.length] == '\r' && out[input.length + 1] == '\n';
            if (!same && !closedHeaders) {
                throw new IllegalStateException("content changed without normalisation");
            }
        }
    }
}
