package io.postern.smtp.inbound.command;

import io.postern.mail.MailAddress;
import io.postern.smtp.reply.SmtpReply;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * Parses one command line (without CRLF) into a {@link Command}. Untrusted input: NUL and other
 * control bytes, malformed UTF-8, unknown verbs, bad paths and duplicate parameters all become
 * {@link Command.Invalid} with the reply to send; nothing here throws. Stateless, thread-safe.
 */
public final class CommandParser {
    /** RFC 5321 4.5.3.1.3: 256 octets for a path including the angle brackets. */
    static final int MAX_PATH = 256;

    private CommandParser() {
    }

    public static Command parse(byte[] line) {
        for (byte b : line) {
            if ((b >= 0 && b < 0x20 && b != '\t') || b == 0x7f) {
                return new Command.Invalid(SmtpReply.BAD_CHARACTERS);
            }
        }
        String text;
        try {
            text = StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(line)).toString();
        } catch (CharacterCodingException e) {
            return new Command.Invalid(SmtpReply.BAD_CHARACTERS);
        }
        return parse(text);
    }

    /**
     * The verb a command line starts with, when it is one Postern knows (for metrics and logs:
     * a bounded set, whatever the client sends); empty for anything else.
     */
    public static Optional<Command.Verb> verb(byte[] line) {
        int end = 0;
        while (end < line.length && end < 9 && line[end] != ' ') {
            end++;
        }
        if (end == 0 || (end < line.length && line[end] != ' ')) {
            return Optional.empty();
        }
        String word = new String(line, 0, end, StandardCharsets.US_ASCII).toUpperCase(Locale.ROOT);
        for (Command.Verb verb : Command.Verb.values()) {
            if (verb.name().equals(word)) {
                return Optional.of(verb);
            }
        }
        return Optional.empty();
    }

    static Command parse(String line) {
        int space = line.indexOf(' ');
        String word = (space < 0 ? line : line.substring(0, space)).toUpperCase(Locale.ROOT);
        String rest = space < 0 ? "" : line.substring(space + 1).strip();
        Command.Verb verb;
        try {
            verb = Command.Verb.valueOf(word);
        } catch (IllegalArgumentException e) {
            return new Command.Invalid(SmtpReply.UNKNOWN_COMMAND);
        }
        return switch (verb) {
            case HELO, EHLO, LHLO -> rest.isEmpty() || rest.contains(" ") || rest.indexOf('\t') >= 0
                    ? new Command.Invalid(SmtpReply.SYNTAX) : new Command.Hello(verb, rest);
            case MAIL -> mail(rest);
            case RCPT -> rcpt(rest);
            case BDAT -> bdat(rest);
            case AUTH -> auth(rest);
            case DATA -> rest.isEmpty() ? new Command.Data() : new Command.Invalid(SmtpReply.SYNTAX);
            case RSET, QUIT, STARTTLS -> rest.isEmpty()
                    ? new Command.Simple(verb) : new Command.Invalid(SmtpReply.SYNTAX);
            case NOOP, VRFY, EXPN, HELP -> new Command.Simple(verb);
        };
    }

    private static Command mail(String rest) {
        Optional<String> args = prefixed(rest, "FROM:");
        if (args.isEmpty()) {
            return new Command.Invalid(SmtpReply.SYNTAX);
        }
        Optional<Path> path = path(args.get());
        if (path.isEmpty()) {
            return new Command.Invalid(SmtpReply.BAD_SENDER_SYNTAX);
        }
        Optional<Map<String, String>> params = parameters(path.get().rest());
        if (params.isEmpty()) {
            return new Command.Invalid(SmtpReply.SYNTAX);
        }
        if (path.get().address().isEmpty()) {
            return new Command.Mail(Optional.empty(), params.get());
        }
        Optional<MailAddress> sender = MailAddress.parse(path.get().address());
        return sender.<Command>map(s -> new Command.Mail(Optional.of(s), params.get()))
                .orElse(new Command.Invalid(SmtpReply.BAD_SENDER_SYNTAX));
    }

    private static Command rcpt(String rest) {
        Optional<String> args = prefixed(rest, "TO:");
        if (args.isEmpty()) {
            return new Command.Invalid(SmtpReply.SYNTAX);
        }
        Optional<Path> path = path(args.get());
        if (path.isEmpty() || path.get().address().isEmpty()) {
            return new Command.Invalid(SmtpReply.BAD_RECIPIENT_SYNTAX);
        }
        Optional<Map<String, String>> params = parameters(path.get().rest());
        if (params.isEmpty()) {
            return new Command.Invalid(SmtpReply.SYNTAX);
        }
        if (path.get().address().equalsIgnoreCase("postmaster")) {
            return new Command.RcptPostmaster(params.get());
        }
        // Source routes, percent hacks, bang paths, IP literals and trailing dots are refused by MailAddress.
        Optional<MailAddress> recipient = MailAddress.parse(path.get().address());
        return recipient.<Command>map(r -> new Command.Rcpt(r, params.get()))
                .orElse(new Command.Invalid(SmtpReply.BAD_RECIPIENT_SYNTAX));
    }

    private static Command bdat(String rest) {
        String[] parts = rest.split(" ", -1);
        if (parts.length < 1 || parts.length > 2 || !parts[0].matches("[0-9]{1,18}")) {
            return new Command.Invalid(SmtpReply.SYNTAX);
        }
        boolean last = parts.length == 2;
        if (last && !parts[1].equalsIgnoreCase("LAST")) {
            return new Command.Invalid(SmtpReply.SYNTAX);
        }
        return new Command.Bdat(Long.parseLong(parts[0]), last);
    }

    private static Command auth(String rest) {
        String[] parts = rest.split(" ", -1);
        if (rest.isEmpty() || parts.length > 2 || parts[0].isEmpty()) {
            return new Command.Invalid(SmtpReply.SYNTAX);
        }
        return new Command.Auth(parts[0].toUpperCase(Locale.ROOT),
                parts.length == 2 ? Optional.of(parts[1]) : Optional.empty());
    }

    /** {@code FROM:<path>} with an optional space after the colon (common client behaviour). */
    private static Optional<String> prefixed(String rest, String prefix) {
        if (!rest.regionMatches(true, 0, prefix, 0, prefix.length())) {
            return Optional.empty();
        }
        return Optional.of(rest.substring(prefix.length()).stripLeading());
    }

    private record Path(String address, String rest) {
    }

    /** {@code <address>} (a quoted local part may contain {@code >}); returns the address and what follows. */
    private static Optional<Path> path(String text) {
        if (!text.startsWith("<")) {
            return Optional.empty();
        }
        boolean quoted = false;
        for (int i = 1; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c == '"') {
                quoted = !quoted;
            } else if (c == '>' && !quoted) {
                if (i + 1 > MAX_PATH) {
                    return Optional.empty();
                }
                String after = text.substring(i + 1);
                if (!after.isEmpty() && !after.startsWith(" ")) {
                    return Optional.empty();
                }
                return Optional.of(new Path(text.substring(1, i), after.strip()));
            }
        }
        return Optional.empty();
    }

    /**
     * {@code KEY[=VALUE]} separated by spaces; keys upper-case; a repeated key is a syntax error. A
     * tab (the one control byte a line may hold) is not part of an esmtp-value (RFC 5321 4.1.2).
     */
    private static Optional<Map<String, String>> parameters(String text) {
        Map<String, String> params = new HashMap<>();
        if (text.isEmpty()) {
            return Optional.of(params);
        }
        for (String part : text.split(" +")) {
            int eq = part.indexOf('=');
            String key = (eq < 0 ? part : part.substring(0, eq)).toUpperCase(Locale.ROOT);
            String value = eq < 0 ? "" : part.substring(eq + 1);
            if (key.isEmpty() || !key.matches("[A-Z0-9][A-Z0-9-]*") || value.indexOf('\t') >= 0
                    || params.put(key, value) != null) {
                return Optional.empty();
            }
        }
        return Optional.of(params);
    }
}
