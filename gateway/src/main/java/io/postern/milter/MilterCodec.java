package io.postern.milter;

import io.postern.mail.EnhancedStatus;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Milter frames: a 4-byte big-endian length (of what follows), a command byte, then the data,
 * where strings end with a NUL. Stateless; encodes commands and decodes replies, refusing any
 * reply that does not follow the protocol. Strings go out as UTF-8 (SMTPUTF8 addresses);
 * replies are read as UTF-8 and reply texts must be ASCII ({@link MilterReply}).
 */
final class MilterCodec {
    /** The largest reply frame accepted: a body chunk plus headroom, or a long header. */
    static final int MAX_FRAME = 1 << 20;

    private MilterCodec() {
    }

    static byte[] frame(byte command, byte[] data) {
        ByteBuffer out = ByteBuffer.allocate(5 + data.length);
        out.putInt(1 + data.length).put(command).put(data);
        return out.array();
    }

    static byte[] optionNegotiation(int actions, int protocol) {
        return frame(MilterProtocol.OPTNEG, ByteBuffer.allocate(12).putInt(MilterProtocol.VERSION).putInt(actions)
                .putInt(protocol).array());
    }

    static byte[] macros(MacroStage stage, Map<String, String> values) {
        Strings data = new Strings();
        data.out.write(stage.command);
        values.forEach((name, value) -> data.add(name).add(value));
        return frame(MilterProtocol.MACRO, data.bytes());
    }

    /** Family {@code 4}, {@code 6} or {@code U} (unknown: no port or address follow). */
    static byte[] connect(String hostname, char family, int port, String address) {
        Strings data = new Strings().add(hostname);
        data.out.write(family);
        if (family != 'U') {
            data.out.write(port >> 8 & 0xff);
            data.out.write(port & 0xff);
            data.add(address);
        }
        return frame(MilterProtocol.CONNECT, data.bytes());
    }

    static byte[] helo(String helo) {
        return frame(MilterProtocol.HELO, new Strings().add(helo).bytes());
    }

    /** {@code MAIL}: the sender in angle brackets, then each ESMTP parameter as its own string. */
    static byte[] mail(String sender, List<String> esmtpArgs) {
        Strings data = new Strings().add(sender);
        esmtpArgs.forEach(data::add);
        return frame(MilterProtocol.MAIL, data.bytes());
    }

    static byte[] rcpt(String recipient, List<String> esmtpArgs) {
        Strings data = new Strings().add(recipient);
        esmtpArgs.forEach(data::add);
        return frame(MilterProtocol.RCPT, data.bytes());
    }

    static byte[] header(String name, String value) {
        return frame(MilterProtocol.HEADER, new Strings().add(name).add(value).bytes());
    }

    static byte[] body(byte[] chunk, int length) {
        byte[] data = new byte[length];
        System.arraycopy(chunk, 0, data, 0, length);
        return frame(MilterProtocol.BODY, data);
    }

    static byte[] empty(byte command) {
        return frame(command, new byte[0]);
    }

    /** Decodes one reply frame's command and data (the length already stripped). */
    static Response decode(byte command, byte[] data, String milter) {
        Reader in = new Reader(data);
        Response response = switch (command) {
            case MilterProtocol.OPTNEG -> options(in);
            case MilterProtocol.ACCEPT -> new Response.Decision(Response.Kind.ACCEPT);
            case MilterProtocol.CONTINUE -> new Response.Decision(Response.Kind.CONTINUE);
            case MilterProtocol.REJECT -> new Response.Decision(Response.Kind.REJECT);
            case MilterProtocol.TEMPFAIL -> new Response.Decision(Response.Kind.TEMPFAIL);
            case MilterProtocol.DISCARD -> new Response.Decision(Response.Kind.DISCARD);
            case MilterProtocol.SKIP -> new Response.Decision(Response.Kind.SKIP);
            // Both say "this connection is over" as a tempfail, as Postfix reads them.
            case MilterProtocol.CONNECTION_FAIL, MilterProtocol.SHUTDOWN -> new Response.Decision(Response.Kind.TEMPFAIL);
            case MilterProtocol.PROGRESS -> new Response.Progress();
            case MilterProtocol.REPLY_CODE -> replyCode(in);
            case MilterProtocol.QUARANTINE -> new Response.Quarantine(in.string());
            case MilterProtocol.ADD_HEADER -> new Response.Edit(new Modification.AddHeader(milter, in.headerName(), in.string()));
            case MilterProtocol.INSERT_HEADER -> {
                int index = in.index();
                yield new Response.Edit(new Modification.InsertHeader(milter, index, in.headerName(), in.string()));
            }
            case MilterProtocol.CHANGE_HEADER -> {
                int index = in.index();
                String name = in.headerName();
                String value = in.string();
                yield new Response.Edit(value.isEmpty() ? new Modification.DeleteHeader(milter, index, name)
                        : new Modification.ChangeHeader(milter, index, name, value));
            }
            case MilterProtocol.REPLACE_BODY -> new Response.Edit(new Modification.ReplaceBody(milter, in.rest()));
            case MilterProtocol.ADD_RECIPIENT -> new Response.Edit(new Modification.AddRecipient(milter, in.address(), Optional.empty()));
            case MilterProtocol.ADD_RECIPIENT_WITH_ARGS -> {
                String address = in.address();
                yield new Response.Edit(new Modification.AddRecipient(milter, address, in.optionalString()));
            }
            case MilterProtocol.DELETE_RECIPIENT -> new Response.Edit(new Modification.DeleteRecipient(milter, in.address()));
            case MilterProtocol.CHANGE_SENDER -> {
                String address = in.address();
                yield new Response.Edit(new Modification.ChangeSender(milter, address, in.optionalString()));
            }
            default -> throw new MilterProtocolException("unknown reply '" + printable(command) + "'");
        };
        if (!(response instanceof Response.Edit e && e.modification() instanceof Modification.ReplaceBody)) {
            in.end();
        }
        return response;
    }

    private static Response options(Reader in) {
        int version = in.int32();
        int actions = in.int32();
        int protocol = in.int32();
        Map<MacroStage, List<String>> macros = new EnumMap<>(MacroStage.class);
        while (in.remaining() > 0) {
            MacroStage stage = MacroStage.ofNumber(in.int32());
            List<String> names = new ArrayList<>();
            for (String name : in.string().split("[ ,]+")) {
                if (!name.isEmpty()) {
                    names.add(name);
                }
            }
            macros.put(stage, names);
        }
        return new Response.Options(version, actions, protocol, macros);
    }

    private static Response replyCode(Reader in) {
        String text = in.string();
        char first = text.isEmpty() ? ' ' : text.charAt(0);
        EnhancedStatus fallback = first == '4' ? MilterReplies.POLICY_TEMPFAIL : MilterReplies.POLICY_REJECT;
        return new Response.Reply(MilterReply.parse(text, fallback)
                .orElseThrow(() -> new MilterProtocolException("invalid reply code text '" + clip(text) + "'")));
    }

    static String printable(byte b) {
        return b >= 0x20 && b < 0x7f ? String.valueOf((char) b) : String.format("0x%02x", b & 0xff);
    }

    private static String clip(String text) {
        return text.length() > 80 ? text.substring(0, 80) + "..." : text;
    }

    /** Builds NUL-terminated strings. */
    private static final class Strings {
        final ByteArrayOutputStream out = new ByteArrayOutputStream(64);

        Strings add(String value) {
            byte[] bytes = value.getBytes(StandardCharsets.UTF_8);
            for (byte b : bytes) {
                if (b == 0) {
                    throw new IllegalArgumentException("a milter string cannot hold NUL");
                }
            }
            out.writeBytes(bytes);
            out.write(0);
            return this;
        }

        byte[] bytes() {
            return out.toByteArray();
        }
    }

    /** Reads the data of one reply; every read past the end is a protocol failure. */
    private static final class Reader {
        private final byte[] data;
        private int position;

        Reader(byte[] data) {
            this.data = data;
        }

        int remaining() {
            return data.length - position;
        }

        int int32() {
            if (remaining() < 4) {
                throw new MilterProtocolException("reply too short");
            }
            int value = ByteBuffer.wrap(data, position, 4).getInt();
            position += 4;
            return value;
        }

        int index() {
            int index = int32();
            if (index < 0) {
                throw new MilterProtocolException("negative header index");
            }
            return index;
        }

        String string() {
            for (int i = position; i < data.length; i++) {
                if (data[i] == 0) {
                    String value = new String(data, position, i - position, StandardCharsets.UTF_8);
                    position = i + 1;
                    return value;
                }
            }
            throw new MilterProtocolException("string without its NUL");
        }

        Optional<String> optionalString() {
            return remaining() == 0 ? Optional.empty() : Optional.of(string()).filter(s -> !s.isEmpty());
        }

        String headerName() {
            String name = string();
            if (name.isEmpty() || !name.chars().allMatch(c -> c > 0x20 && c < 0x7f && c != ':')) {
                throw new MilterProtocolException("invalid header name '" + clip(name) + "'");
            }
            return name;
        }

        String address() {
            String address = string();
            if (address.isEmpty() || address.chars().anyMatch(c -> c < 0x20 || c == 0x7f)) {
                throw new MilterProtocolException("invalid address '" + clip(address) + "'");
            }
            return address;
        }

        byte[] rest() {
            byte[] rest = new byte[remaining()];
            System.arraycopy(data, position, rest, 0, rest.length);
            position = data.length;
            return rest;
        }

        void end() {
            if (remaining() != 0) {
                throw new MilterProtocolException("reply has " + remaining() + " bytes too many");
            }
        }
    }
}
