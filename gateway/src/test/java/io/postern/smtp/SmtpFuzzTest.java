package io.postern.smtp;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.postern.smtp.inbound.codec.DataDecoder;
import io.postern.smtp.inbound.codec.LineFramer;
import io.postern.smtp.inbound.codec.MessageStream;
import io.postern.smtp.inbound.command.Command;
import io.postern.smtp.inbound.command.CommandParser;
import java.io.ByteArrayOutputStream;
import java.util.Arrays;

/**
 * Jazzer targets for the untrusted-input stages of an SMTP session. Each checks invariants, not
 * just the absence of exceptions: the parser always returns a command; the line framer never
 * returns a line over the limit; DATA ends only right after {@code <CRLF>.<CRLF>}; in reject
 * mode an accepted message has no bare CR or LF.
 */
class SmtpFuzzTest {

    @FuzzTest(maxDuration = "60s")
    void commandLine(byte[] line) {
        Command command = CommandParser.parse(line);
        if (command == null) {
            throw new IllegalStateException("parser returned null");
        }
        for (byte b : line) {
            if (b == 0 && !(command instanceof Command.Invalid)) {
                throw new IllegalStateException("NUL accepted in " + command);
            }
        }
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
}
