package io.postern.milter;

import java.util.List;
import java.util.Locale;

/**
 * The points at which an MTA sends macros, with the protocol's stage numbers and the names
 * Postfix sends by default (a milter may ask for others during negotiation).
 */
public enum MacroStage {
    CONNECT(0, MilterProtocol.CONNECT, List.of("j", "{daemon_name}", "{daemon_addr}", "v", "_", "{client_addr}",
            "{client_name}", "{client_port}")),
    HELO(1, MilterProtocol.HELO, List.of("{tls_version}", "{cipher}", "{cipher_bits}", "{cert_subject}",
            "{cert_issuer}")),
    MAIL(2, MilterProtocol.MAIL, List.of("i", "{auth_type}", "{auth_authen}", "{auth_author}", "{mail_addr}",
            "{mail_host}", "{mail_mailer}")),
    RCPT(3, MilterProtocol.RCPT, List.of("{rcpt_addr}", "{rcpt_host}", "{rcpt_mailer}")),
    DATA(4, MilterProtocol.DATA, List.of("i")),
    EOM(5, MilterProtocol.EOM, List.of("{msg_size}", "i")),
    EOH(6, MilterProtocol.EOH, List.of("i"));

    final int number;
    final byte command;
    final List<String> defaults;

    MacroStage(int number, byte command, List<String> defaults) {
        this.number = number;
        this.command = command;
        this.defaults = defaults;
    }

    /** The key of this stage in the {@code macros} config section. */
    public String configName() {
        return name().toLowerCase(Locale.ROOT);
    }

    static MacroStage ofNumber(int number) {
        for (MacroStage stage : values()) {
            if (stage.number == number) {
                return stage;
            }
        }
        throw new MilterProtocolException("unknown macro stage " + number);
    }
}
