package io.postern.smtp.inbound.command;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.DictionaryEntries;
import com.code_intelligence.jazzer.junit.FuzzTest;
import io.postern.smtp.reply.SmtpReply;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.Optional;

/**
 * Jazzer target for the ESMTP parameters of MAIL and RCPT (RFC 1870, 3461, 6152, 6531) as they
 * arrive on a command line, and for RFC 3461 xtext. Invariants: the parameters either parse or
 * are refused with a 5xx reply (no exception); an accepted ENVID or ORCPT holds no control
 * character once decoded (issue 19 item 1: such a value would become extra command lines on the
 * next hop); xtext decoding yields octets only, and encoding what it decoded gives back the same
 * value.
 */
class EnvelopeParametersFuzzTest {

    @DictionaryEntries({"ORCPT=rfc822;", "ENVID=", "NOTIFY=SUCCESS,FAILURE,DELAY", "NEVER", "RET=HDRS", "SIZE=", "BODY=", "SMTPUTF8", "AUTH=", "+0D", "+0A", "+00", "+2B", "+3D"})
    @FuzzTest(maxDuration = "60s")
    void parameters(FuzzedDataProvider data) {
        boolean mail = data.consumeBoolean();
        String xtext = data.consumeString(300);
        checkXtext(xtext);
        String params = data.consumeRemainingAsString();
        String line = (mail ? "MAIL FROM:<alice@example.test> " : "RCPT TO:<bob@example.net> ") + params;
        Command command = CommandParser.parse(line.getBytes(StandardCharsets.UTF_8));
        switch (command) {
            case Command.Mail(var sender, Map<String, String> p) -> {
                switch (EnvelopeParameters.mail(p)) {
                    case EnvelopeParameters.Result.Ok<EnvelopeParameters.Mail>(EnvelopeParameters.Mail m) -> {
                        m.envelopeId().ifPresent(id -> noControls("ENVID", id.value(), line));
                        if (m.declaredSize().isPresent() && m.declaredSize().getAsLong() < 0) {
                            throw new IllegalStateException("negative SIZE from " + line);
                        }
                    }
                    case EnvelopeParameters.Result.Refused<EnvelopeParameters.Mail>(var reply) -> refusal(reply, line);
                }
            }
            case Command.Rcpt(var recipient, Map<String, String> p) -> {
                switch (EnvelopeParameters.rcpt(p)) {
                    case EnvelopeParameters.Result.Ok<EnvelopeParameters.Rcpt>(EnvelopeParameters.Rcpt r) ->
                            r.originalRecipient().ifPresent(orcpt -> {
                                noControls("ORCPT", orcpt.address(), line);
                                noControls("ORCPT type", orcpt.addressType(), line);
                                if (orcpt.addressType().isEmpty()) {
                                    throw new IllegalStateException("ORCPT without address type: " + orcpt);
                                }
                            });
                    case EnvelopeParameters.Result.Refused<EnvelopeParameters.Rcpt>(var reply) -> refusal(reply, line);
                }
            }
            case Command.Invalid invalid -> {
            }
            default -> throw new IllegalStateException(command + " from " + line);
        }
    }

    private static void checkXtext(String text) {
        Optional<String> decoded = io.postern.mail.Xtext.decode(text);
        if (decoded.isEmpty()) {
            return;
        }
        String value = decoded.get();
        if (value.chars().anyMatch(c -> c > 0xff)) {
            throw new IllegalStateException("xtext decoded beyond octets: " + text);
        }
        Optional<String> again = io.postern.mail.Xtext.decode(io.postern.mail.Xtext.encode(value));
        if (!again.equals(decoded)) {
            throw new IllegalStateException("xtext round trip of " + text + " gave " + again);
        }
    }

    private static void noControls(String name, String value, String line) {
        if (value.chars().anyMatch(c -> c < 0x20 || c == 0x7f)) {
            throw new IllegalStateException(name + " accepted with a control character: " + printable(line));
        }
    }

    private static void refusal(io.postern.smtp.reply.SmtpReply reply, String line) {
        if (reply.code() < 500 || reply.code() > 559) {
            throw new IllegalStateException("parameters refused with " + reply + " for " + printable(line));
        }
    }

    private static String printable(String text) {
        StringBuilder out = new StringBuilder();
        text.codePoints().forEach(c -> out.append(c >= 0x20 && c < 0x7f && c != '\\' ? Character.toString(c)
                : String.format("\\u%04x", c)));
        return out.toString();
    }
}
