package io.postern.outbound;

import io.postern.testing.RecordingSmtpServer;
import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.postern.config.OutboundConfig;
import io.postern.mail.MemoryContent;
import io.postern.mail.DeliveryAgent;
import io.postern.mail.DeliveryResult;
import io.postern.mail.Envelope;
import io.postern.mail.EnvelopeRecipient;
import io.postern.mail.MailAddress;
import io.postern.mail.QueuedMessage;
import io.postern.mail.RecipientOutcome;
import io.postern.mail.Xtext;
import io.postern.smtp.inbound.command.Command;
import io.postern.smtp.inbound.command.CommandParser;
import io.postern.smtp.inbound.command.EnvelopeParameters;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/**
 * Property: no byte sequence in any envelope parameter adds a line to an outbound session. Random
 * values (raw bytes, xtext and RFC 6533 escapes of CR, LF, NUL, other controls, non-ASCII and
 * SMTP specials) go into every MAIL and RCPT parameter of a command line; what the inbound parser
 * accepts becomes an envelope that the real SMTP client (relay host) and the real LMTP hand-off
 * send to a loopback peer recording every line it receives. Each delivery must add exactly MAIL,
 * one RCPT per recipient and DATA, each one clean line whose parameters parse back to the same
 * typed values. Seeded: a failure prints its iteration and the line, and reruns the same way.
 */
class EnvelopeInjectionFuzzTest {
    private static final long SEED = 0x19_0001L;
    private static final int ROUNDS = 400;
    private static final MailAddress SECOND = new MailAddress("second", "remote.example");

    static RecordingSmtpServer smtpPeer;
    static RecordingSmtpServer lmtpPeer;
    static OutboundDelivery smtp;
    static LmtpHandoff lmtp;

    @BeforeAll
    static void start() throws Exception {
        smtpPeer = RecordingSmtpServer.start(false);
        lmtpPeer = RecordingSmtpServer.start(true);
        OutboundConfig d = OutboundConfig.defaults();
        Duration t = Duration.ofSeconds(10);
        OutboundConfig.Timeouts timeouts = new OutboundConfig.Timeouts(t, t, t, t, t, t, t, t);
        // One long-lived session per peer: every line after the first hello belongs to a transaction.
        OutboundConfig.Connections connections = new OutboundConfig.Connections(4, 4, Duration.ofMinutes(10), 100_000);
        OutboundConfig config = new OutboundConfig(d.port(), List.of(), d.dnsTimeout(), timeouts,
                new OutboundConfig.Tls(OutboundConfig.TlsPolicy.NONE, java.util.Map.of(), Optional.empty()),
                Optional.of(new OutboundConfig.RelayHost(new OutboundConfig.HostPort("127.0.0.1", smtpPeer.port()),
                        Optional.empty(), Optional.empty(), OutboundConfig.TlsPolicy.NONE)),
                connections, d.maxRecipientsPerTransaction(), d.maxReplyLineLength(), d.maxReplyLines(),
                List.of(new OutboundConfig.HostPort("127.0.0.1", lmtpPeer.port())));
        smtp = OutboundDelivery.create(config, "postern.test", new SimpleMeterRegistry());
        lmtp = LmtpHandoff.create(config, "postern.test", new SimpleMeterRegistry());
    }

    @AfterAll
    static void stop() throws Exception {
        for (AutoCloseable c : new AutoCloseable[] {smtp, lmtp, smtpPeer, lmtpPeer}) {
            if (c != null) {
                c.close();
            }
        }
    }

    @Test
    void noParameterValueAddsALineToTheSmtpOrLmtpSession() throws Exception {
        Random random = new Random(SEED);
        int accepted = 0;
        int refused = 0;
        for (int round = 0; round < ROUNDS; round++) {
            byte[] mailLine = join("MAIL FROM:<sender@origin.example>", mailParameters(random));
            byte[] rcptLine = join("RCPT TO:<first@remote.example>", rcptParameters(random));
            String what = "round " + round + ": " + HexFormat.of().formatHex(mailLine) + " / "
                    + HexFormat.of().formatHex(rcptLine);
            Optional<Envelope> envelope = envelope(mailLine, rcptLine);
            if (envelope.isEmpty()) {
                refused++;
                continue;
            }
            accepted++;
            QueuedMessage message = new QueuedMessage("F" + round, envelope.get(),
                    new MemoryContent("Subject: fuzz\r\n\r\nbody\r\n".getBytes(StandardCharsets.US_ASCII)));
            for (var agent : List.of(new Hop(smtp, smtpPeer, "EHLO postern.test"), new Hop(lmtp, lmtpPeer,
                    "LHLO postern.test"))) {
                assertOneTransaction(agent, message, what);
            }
        }
        System.out.printf("envelope fuzz: %d rounds, %d accepted and sent over SMTP and LMTP, %d refused%n", ROUNDS,
                accepted, refused);
        // Not vacuous: both outcomes were exercised many times.
        assertThat(accepted).as("accepted").isGreaterThan(ROUNDS / 10);
        assertThat(refused).as("refused").isGreaterThan(ROUNDS / 10);
    }

    private record Hop(DeliveryAgent agent, RecordingSmtpServer peer, String hello) {
    }

    /**
     * The last line of defence: a value that skipped validation (records such as MailAddress assume
     * validated input) and holds CR, LF or NUL is never written. The recipients are deferred with
     * 4.3.0, nothing of the transaction reaches the peer, a WARN line says why (escaped), and the
     * session goes on serving the next message.
     */
    @Test
    void aLineHoldingCrLfOrNulIsNotSentAndDefersAsALocalError() throws Exception {
        ListAppender<ILoggingEvent> logs = new ListAppender<>();
        Logger root = (Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
        logs.start();
        root.addAppender(logs);
        try {
            Random random = new Random(SEED + 1);
            for (int round = 0; round < 40; round++) {
                String bad = "x" + "\r\n\0".charAt(random.nextInt(3)) + (random.nextBoolean() ? "RSET" : "DATA");
                MailAddress hostile = random.nextBoolean() ? new MailAddress(bad, "remote.example")
                        : new MailAddress("ok", "remote.example" + bad);
                boolean asSender = random.nextBoolean();
                Envelope envelope = new Envelope(Optional.of(asSender ? hostile : new MailAddress("s", "origin.example")),
                        List.of(EnvelopeRecipient.of(asSender ? SECOND : hostile), EnvelopeRecipient.of(SECOND)),
                        Envelope.BodyType.SEVEN_BIT, false, Optional.empty(), Optional.empty(),
                        new Envelope.SessionTrace("192.0.2.1", "c", "c", "ESMTP", Optional.empty(), Optional.empty(),
                                Instant.EPOCH));
                QueuedMessage message = new QueuedMessage("H" + round, envelope,
                        new MemoryContent("Subject: x\r\n\r\nx\r\n".getBytes(StandardCharsets.US_ASCII)));
                for (Hop hop : List.of(new Hop(smtp, smtpPeer, "EHLO postern.test"), new Hop(lmtp, lmtpPeer,
                        "LHLO postern.test"))) {
                    int before = hop.peer().lines().size();
                    List<DeliveryResult> results = hop.agent().deliver(message, envelope.recipients())
                            .get(30, TimeUnit.SECONDS);
                    assertThat(results).as("round " + round).hasSize(2).allSatisfy(r -> {
                        assertThat(r.outcome()).isInstanceOf(RecipientOutcome.Deferred.class);
                        assertThat(r.status()).hasToString("4.3.0");
                        assertThat(r.diagnostic()).contains("CR, LF or NUL");
                    });
                    List<String> added = hop.peer().lines().subList(before, hop.peer().lines().size()).stream()
                            .map(l -> new String(l, StandardCharsets.UTF_8)).toList();
                    assertThat(added).as("round " + round).allMatch(l -> l.equals(hop.hello() + "\r\n") || l.equals("RSET\r\n"));
                }
            }
            List<String> warnings;
            synchronized (logs) {
                warnings = logs.list.stream().filter(e -> e.getLevel() == Level.WARN)
                        .map(ILoggingEvent::getFormattedMessage).filter(m -> m.startsWith("event=outbound-line-refused "))
                        .toList();
            }
            assertThat(warnings).hasSize(80).allSatisfy(w -> {
                assertThat(w).doesNotContain("\r", "\n", "\0").contains(" code=4.3.0");
                assertThat(w).containsAnyOf("\\r", "\\n", "\\u0000");
            });
        } finally {
            root.detachAppender(logs);
        }
        // The sessions are still good: a clean message goes through both hops as one transaction each.
        Optional<Envelope> clean = envelope(ascii("MAIL FROM:<sender@origin.example> ENVID=after"),
                ascii("RCPT TO:<first@remote.example> ORCPT=rfc822;first@remote.example"));
        QueuedMessage after = new QueuedMessage("after", clean.orElseThrow(),
                new MemoryContent("Subject: x\r\n\r\nx\r\n".getBytes(StandardCharsets.US_ASCII)));
        assertOneTransaction(new Hop(smtp, smtpPeer, "EHLO postern.test"), after, "after");
        assertOneTransaction(new Hop(lmtp, lmtpPeer, "LHLO postern.test"), after, "after");
    }

    private static void assertOneTransaction(Hop hop, QueuedMessage message, String what) throws Exception {
        int before = hop.peer().lines().size();
        List<DeliveryResult> results = hop.agent().deliver(message, message.envelope().recipients())
                .get(30, TimeUnit.SECONDS);
        assertThat(results).as(what).hasSize(2)
                .allSatisfy(r -> assertThat(r.outcome()).as(what + " " + r).isInstanceOf(RecipientOutcome.Succeeded.class));
        List<byte[]> added = new ArrayList<>(hop.peer().lines().subList(before, hop.peer().lines().size()));
        for (byte[] line : added) {
            assertThat(cleanLine(line)).as(what + ": line " + HexFormat.of().formatHex(line)).isTrue();
        }
        List<String> text = added.stream().map(l -> new String(l, 0, l.length - 2, StandardCharsets.UTF_8)).toList();
        // A new session starts with the hello, a pooled one is probed with RSET (ConnectionPool): one line, first.
        if (!text.isEmpty() && (text.getFirst().equals(hop.hello()) || text.getFirst().equals("RSET"))) {
            text = text.subList(1, text.size());
        }
        assertThat(text).as(what).hasSize(4);
        assertThat(text.get(0)).as(what).startsWith("MAIL FROM:<sender@origin.example>");
        assertThat(text.get(1)).as(what).startsWith("RCPT TO:<first@remote.example>");
        assertThat(text.get(2)).as(what).startsWith("RCPT TO:<second@remote.example>");
        assertThat(text.get(3)).as(what).isEqualTo("DATA");
        // What the peer received means the same as what we accepted, value for value.
        Envelope sent = message.envelope();
        EnvelopeParameters.Mail mail = ok(EnvelopeParameters.mail(((Command.Mail) CommandParser.parse(
                text.get(0).getBytes(StandardCharsets.UTF_8))).parameters()), what);
        assertThat(mail.envelopeId()).as(what).isEqualTo(sent.dsnEnvelopeId());
        assertThat(mail.dsnReturn()).as(what).isEqualTo(sent.dsnReturn());
        assertThat(mail.smtpUtf8()).as(what).isEqualTo(sent.smtpUtf8());
        EnvelopeParameters.Rcpt rcpt = ok(EnvelopeParameters.rcpt(((Command.Rcpt) CommandParser.parse(
                text.get(1).getBytes(StandardCharsets.UTF_8))).parameters()), what);
        assertThat(rcpt.originalRecipient()).as(what).isEqualTo(sent.recipients().getFirst().originalRecipient());
        assertThat(rcpt.dsnNotify()).as(what).isEqualTo(sent.recipients().getFirst().dsnNotify());
    }

    /** Ends with CRLF and holds no other CR, LF or NUL. */
    private static boolean cleanLine(byte[] line) {
        if (line.length < 2 || line[line.length - 2] != '\r' || line[line.length - 1] != '\n') {
            return false;
        }
        for (int i = 0; i < line.length - 2; i++) {
            if (line[i] == '\r' || line[i] == '\n' || line[i] == 0) {
                return false;
            }
        }
        return true;
    }

    /** The envelope the SMTP session would build from these two lines, or empty when it refuses either. */
    private static Optional<Envelope> envelope(byte[] mailLine, byte[] rcptLine) {
        if (!(CommandParser.parse(mailLine) instanceof Command.Mail mail)
                || !(CommandParser.parse(rcptLine) instanceof Command.Rcpt rcpt)
                || !(EnvelopeParameters.mail(mail.parameters()) instanceof EnvelopeParameters.Result.Ok<EnvelopeParameters.Mail>(
                        EnvelopeParameters.Mail m))
                || !(EnvelopeParameters.rcpt(rcpt.parameters()) instanceof EnvelopeParameters.Result.Ok<EnvelopeParameters.Rcpt>(
                        EnvelopeParameters.Rcpt r))) {
            return Optional.empty();
        }
        return Optional.of(new Envelope(mail.sender(), List.of(new EnvelopeRecipient(rcpt.recipient(), r.dsnNotify(),
                r.originalRecipient()), EnvelopeRecipient.of(SECOND)), m.bodyType(), m.smtpUtf8(), m.dsnReturn(),
                m.envelopeId(), new Envelope.SessionTrace("192.0.2.1", "client.example", "client.example", "ESMTP",
                Optional.empty(), Optional.empty(), Instant.EPOCH)));
    }

    private static <T> T ok(EnvelopeParameters.Result<T> result, String what) {
        assertThat(result).as(what).isInstanceOf(EnvelopeParameters.Result.Ok.class);
        return ((EnvelopeParameters.Result.Ok<T>) result).value();
    }

    private static final String[] MAIL_KEYS = {"SIZE", "BODY", "SMTPUTF8", "RET", "ENVID", "AUTH"};

    /**
     * Each round fuzzes one parameter of MAIL or RCPT hard (hostile octets half the time) and gives
     * the others valid values, so that accepted envelopes are common enough to test the sending side.
     */
    private static int target;

    private static List<byte[]> mailParameters(Random random) {
        target = random.nextInt(MAIL_KEYS.length + 2);
        List<byte[]> out = new ArrayList<>();
        for (int k = 0; k < MAIL_KEYS.length; k++) {
            String key = MAIL_KEYS[k];
            boolean fuzz = k == target;
            if (!fuzz && random.nextInt(3) == 0) {
                continue;
            }
            byte[] value = switch (key) {
                case "SIZE" -> fuzz ? value(random) : ascii(Integer.toString(random.nextInt(100_000)));
                case "BODY" -> fuzz ? value(random) : ascii(random.nextBoolean() ? "8BITMIME" : "7BIT");
                case "RET" -> fuzz ? value(random) : ascii(random.nextBoolean() ? "HDRS" : "FULL");
                case "SMTPUTF8" -> fuzz ? value(random) : new byte[0];
                case "ENVID" -> fuzz && random.nextBoolean() ? value(random) : ascii(Xtext.encode(printable(random)));
                default -> fuzz && random.nextBoolean() ? value(random)
                        : ascii(random.nextBoolean() ? "<>" : Xtext.encode(printable(random).replaceAll("[^a-z+]", "")
                        + "x@example.org"));
            };
            out.add(value.length == 0 && key.equals("SMTPUTF8") ? ascii(key) : concat(ascii(key + "="), value));
        }
        return out;
    }

    private static List<byte[]> rcptParameters(Random random) {
        boolean fuzzNotify = target == MAIL_KEYS.length;
        boolean fuzzOrcpt = target == MAIL_KEYS.length + 1;
        List<byte[]> out = new ArrayList<>();
        if (fuzzNotify || random.nextBoolean()) {
            out.add(concat(ascii("NOTIFY="), fuzzNotify ? value(random) : ascii("FAILURE,DELAY")));
        }
        if (fuzzOrcpt || random.nextInt(5) > 0) {
            String type = random.nextInt(10) == 0 ? List.of("", "rfc822", "x 400;", "rfc822:").get(random.nextInt(4))
                    : List.of("rfc822;", "RFC822;", "utf-8;", "UTF-8;", "x400;").get(random.nextInt(5));
            byte[] value;
            if (fuzzOrcpt && random.nextBoolean()) {
                value = value(random);
            } else if (type.equalsIgnoreCase("utf-8;")) {
                String address = unicode(random);
                value = (random.nextBoolean() ? Xtext.encodeUtf8AddressUnitext(address)
                        : Xtext.encodeUtf8AddressXtext(address)).getBytes(StandardCharsets.UTF_8);
                type = random.nextInt(4) == 0 ? "rfc822;" : type;
            } else {
                value = ascii(Xtext.encode(printable(random)));
            }
            out.add(concat(ascii("ORCPT=" + type), value));
        }
        return out;
    }

    /** Printable ASCII with SMTP specials, space included: what an xtext value may carry. */
    private static String printable(Random random) {
        StringBuilder out = new StringBuilder();
        int length = 1 + random.nextInt(30);
        for (int i = 0; i < length; i++) {
            out.append(random.nextInt(4) == 0 ? "+= \\;:<>@,{}\"".charAt(random.nextInt(13)) : (char) (0x20 + random.nextInt(0x5f)));
        }
        return out.toString();
    }

    /** Unicode text without controls, from every plane, with SMTP specials. */
    private static String unicode(Random random) {
        StringBuilder out = new StringBuilder();
        int length = 1 + random.nextInt(20);
        while (out.length() < length) {
            int cp = switch (random.nextInt(4)) {
                case 0 -> 0x20 + random.nextInt(0x5f);
                case 1 -> 0xA0 + random.nextInt(0x700);
                case 2 -> 0x800 + random.nextInt(0xD000);
                default -> 0x10000 + random.nextInt(0x10000);
            };
            if (!Character.isISOControl(cp) && Character.getType(cp) != Character.LINE_SEPARATOR
                    && Character.getType(cp) != Character.PARAGRAPH_SEPARATOR) {
                out.appendCodePoint(cp);
            }
        }
        return out.toString();
    }

    private static byte[] ascii(String text) {
        return text.getBytes(StandardCharsets.US_ASCII);
    }

    /** Random octets, then written raw, as xtext (+HH), as RFC 6533 \x{HEX}, or mixed. */
    private static byte[] value(Random random) {
        byte[] octets = new byte[1 + random.nextInt(24)];
        for (int i = 0; i < octets.length; i++) {
            octets[i] = switch (random.nextInt(8)) {
                case 0 -> (byte) "\r\n\0\t\u000b\u000c\u001b\u007f".charAt(random.nextInt(8));
                case 1 -> (byte) random.nextInt(0x20);
                case 2 -> (byte) (0x80 + random.nextInt(0x80));
                case 3 -> (byte) "+=\\;:<> @,{}x".charAt(random.nextInt(13));
                default -> (byte) (0x21 + random.nextInt(0x5e));
            };
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        int form = random.nextInt(4);
        for (byte b : octets) {
            int c = b & 0xff;
            boolean plain = c > 0x20 && c < 0x7f && c != '+' && c != '=' && c != '\\';
            boolean escape = form == 1 || (form == 3 && random.nextBoolean());
            if (form == 2 && (!plain || random.nextInt(8) == 0)) {
                out.writeBytes(String.format("\\x{%02X}", c).getBytes(StandardCharsets.US_ASCII));
            } else if (escape && (!plain || random.nextInt(8) == 0)) {
                out.writeBytes(String.format("+%02X", c).getBytes(StandardCharsets.US_ASCII));
            } else {
                out.write(c);
            }
        }
        return out.toByteArray();
    }

    private static byte[] join(String head, List<byte[]> parameters) {
        byte[] out = head.getBytes(StandardCharsets.US_ASCII);
        for (byte[] p : parameters) {
            out = concat(concat(out, new byte[] {' '}), p);
        }
        return out;
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] out = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }
}
