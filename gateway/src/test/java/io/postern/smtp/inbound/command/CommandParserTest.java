package io.postern.smtp.inbound.command;

import static org.assertj.core.api.Assertions.assertThat;

import io.postern.smtp.reply.SmtpReply;
import java.nio.charset.StandardCharsets;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class CommandParserTest {

    private static Command parse(String line) {
        return CommandParser.parse(line.getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void parsesMailWithParameters() {
        Command c = parse("mail from: <A@Example.COM> size=100 BODY=8BITMIME");
        assertThat(c).isInstanceOfSatisfying(Command.Mail.class, m -> {
            assertThat(m.sender().orElseThrow().toString()).isEqualTo("A@example.com");
            assertThat(m.parameters()).containsEntry("SIZE", "100").containsEntry("BODY", "8BITMIME");
        });
    }

    @Test
    void nullSender() {
        assertThat(parse("MAIL FROM:<>")).isInstanceOfSatisfying(Command.Mail.class,
                m -> assertThat(m.sender()).isEmpty());
    }

    @ParameterizedTest
    @ValueSource(strings = {"RCPT TO:<u%other.org@example.com>", "RCPT TO:<other.org!u@example.com>",
            "RCPT TO:<@example.com:u@other.org>", "RCPT TO:<\"u@other.org\"@example.com>", "RCPT TO:<u@[10.0.0.1]>",
            "RCPT TO:<u@other.org.>", "RCPT TO:<>", "RCPT TO:u@example.com", "RCPT TO:<u@example.com>x"})
    void relayTricksAndBadPathsAreRefused(String line) {
        assertThat(parse(line)).isInstanceOfSatisfying(Command.Invalid.class,
                i -> assertThat(i.reply()).isEqualTo(SmtpReply.BAD_RECIPIENT_SYNTAX));
    }

    @Test
    void controlBytesAndBadUtf8AreRefused() {
        assertThat(CommandParser.parse(new byte[] {'N', 'O', 'O', 'P', 0})).isEqualTo(
                new Command.Invalid(SmtpReply.BAD_CHARACTERS));
        assertThat(CommandParser.parse(new byte[] {'N', 'O', 'O', 'P', ' ', (byte) 0xC3})).isEqualTo(
                new Command.Invalid(SmtpReply.BAD_CHARACTERS));
    }

    @Test
    void duplicateParameterIsASyntaxError() {
        assertThat(parse("MAIL FROM:<a@b.cd> SIZE=1 SIZE=2")).isEqualTo(new Command.Invalid(SmtpReply.SYNTAX));
    }

    /** Found by SmtpFuzzTest#commandLine: a tab is not a control byte the parser refused outright. */
    @ParameterizedTest
    @ValueSource(strings = {"RCPT TO:<bob@example.net> ORCPT=rfc\t822;bob+40example.net",
            "MAIL FROM:<a@b.cd> ENVID=x\ty", "RCPT TO:<bob@example.net> NOTIFY=\tFAILURE", "EHLO client.example\tx"})
    void tabInsideAParameterValueOrHeloNameIsASyntaxError(String line) {
        assertThat(parse(line)).isEqualTo(new Command.Invalid(SmtpReply.SYNTAX));
    }

    @Test
    void bdatAndAuth() {
        assertThat(parse("BDAT 42 LAST")).isEqualTo(new Command.Bdat(42, true));
        assertThat(parse("BDAT 42 FIRST")).isEqualTo(new Command.Invalid(SmtpReply.SYNTAX));
        assertThat(parse("BDAT -1")).isEqualTo(new Command.Invalid(SmtpReply.SYNTAX));
        assertThat(parse("auth plain AGEAYg==")).isEqualTo(new Command.Auth("PLAIN", Optional.of("AGEAYg==")));
    }
}
