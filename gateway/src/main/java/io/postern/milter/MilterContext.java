package io.postern.milter;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * What a milter learns about the message besides its bytes: the SMTP session (client, HELO,
 * authentication, TLS) and the envelope. Immutable. Addresses are bare ({@code a@b}, empty for
 * the null sender); the codec adds the angle brackets. Turned into the protocol's macros per
 * stage by {@link #macros}.
 *
 * @param daemonName the listener's name ({@code {daemon_name}})
 * @param hostname this node's host name ({@code j})
 * @param clientAddress the client's IP address, or empty when unknown
 * @param clientPort the client's port, 0 when unknown
 * @param clientName the client's verified host name, or {@code unknown}
 * @param helo the HELO/EHLO argument
 * @param authUser the SASL login, when the client authenticated ({@code {auth_authen}})
 * @param authMechanism the SASL mechanism ({@code {auth_type}})
 * @param tlsVersion the TLS protocol, when the session is encrypted ({@code {tls_version}})
 * @param tlsCipher the cipher suite ({@code {cipher}})
 * @param queueId the queue id of the message ({@code i})
 * @param sender the envelope sender, empty for the null sender
 * @param mailArgs the ESMTP parameters of MAIL FROM ({@code SIZE=123}, {@code BODY=8BITMIME} ...)
 * @param recipients the accepted envelope recipients, in order
 */
public record MilterContext(String daemonName, String hostname, String clientAddress, int clientPort,
                            String clientName, String helo, Optional<String> authUser,
                            Optional<String> authMechanism, Optional<String> tlsVersion,
                            Optional<String> tlsCipher, String queueId, String sender, List<String> mailArgs,
                            List<String> recipients) {
    public MilterContext {
        Objects.requireNonNull(daemonName);
        Objects.requireNonNull(hostname);
        Objects.requireNonNull(clientAddress);
        Objects.requireNonNull(clientName);
        Objects.requireNonNull(helo);
        Objects.requireNonNull(authUser);
        Objects.requireNonNull(authMechanism);
        Objects.requireNonNull(tlsVersion);
        Objects.requireNonNull(tlsCipher);
        Objects.requireNonNull(queueId);
        Objects.requireNonNull(sender);
        mailArgs = List.copyOf(mailArgs);
        recipients = List.copyOf(recipients);
        if (recipients.isEmpty()) {
            throw new IllegalArgumentException("a message has at least one recipient");
        }
    }

    /** A session with the common facts only: no authentication, no TLS, no MAIL parameters. */
    public static MilterContext of(String daemonName, String hostname, String clientAddress, String helo,
                                   String queueId, String sender, List<String> recipients) {
        return new MilterContext(daemonName, hostname, clientAddress, 0, "unknown", helo, Optional.empty(),
                Optional.empty(), Optional.empty(), Optional.empty(), queueId, sender, List.of(), recipients);
    }

    public MilterContext withAuthUser(String user, String mechanism) {
        return new MilterContext(daemonName, hostname, clientAddress, clientPort, clientName, helo,
                Optional.of(user), Optional.of(mechanism), tlsVersion, tlsCipher, queueId, sender, mailArgs,
                recipients);
    }

    /**
     * The facts a milter hears once per SMTP connection (connect and HELO): a milter connection
     * that heard them can take the next message of the same SMTP connection, starting at MAIL.
     */
    record ConnectionKey(String daemonName, String clientAddress, int clientPort, String clientName, String helo,
                         Optional<String> tlsVersion, Optional<String> tlsCipher) {
    }

    ConnectionKey connectionKey() {
        return new ConnectionKey(daemonName, clientAddress, clientPort, clientName, helo, tlsVersion, tlsCipher);
    }

    /**
     * The values of the requested macros known at {@code stage}, in request order; unknown names
     * are left out, as an MTA does. {@code recipient} is the one being sent at the RCPT stage.
     */
    Map<String, String> macros(MacroStage stage, List<String> names, String recipient) {
        Map<String, String> out = new LinkedHashMap<>();
        for (String name : names) {
            value(name, recipient).ifPresent(v -> out.put(name, v));
        }
        return out;
    }

    private Optional<String> value(String name, String recipient) {
        String bare = name.startsWith("{") && name.endsWith("}") ? name.substring(1, name.length() - 1) : name;
        return switch (bare) {
            case "j" -> Optional.of(hostname);
            case "daemon_name" -> Optional.of(daemonName);
            case "v" -> Optional.of("Postern");
            case "_" -> Optional.of(clientName + " [" + clientAddress + "]");
            case "client_addr" -> Optional.of(clientAddress).filter(a -> !a.isEmpty());
            case "client_name" -> Optional.of(clientName);
            case "client_port" -> clientPort == 0 ? Optional.empty() : Optional.of(Integer.toString(clientPort));
            case "i" -> Optional.of(queueId);
            case "auth_authen" -> authUser;
            case "auth_type" -> authMechanism;
            case "auth_author" -> Optional.empty();
            case "tls_version" -> tlsVersion;
            case "cipher" -> tlsCipher;
            case "mail_addr" -> Optional.of(sender);
            case "mail_host" -> Optional.of(domainOf(sender)).filter(d -> !d.isEmpty());
            case "mail_mailer", "rcpt_mailer" -> Optional.of("smtp");
            case "rcpt_addr" -> Optional.ofNullable(recipient);
            case "rcpt_host" -> Optional.ofNullable(recipient).map(MilterContext::domainOf);
            default -> Optional.empty();
        };
    }

    private static String domainOf(String address) {
        int at = address.lastIndexOf('@');
        return at < 0 ? "" : address.substring(at + 1);
    }
}
