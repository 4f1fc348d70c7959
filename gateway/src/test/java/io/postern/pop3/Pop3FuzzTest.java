package io.postern.pop3;

import io.postern.testing.MapDirectory;
import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import com.code_intelligence.jazzer.junit.DictionaryEntries;
import com.code_intelligence.jazzer.junit.FuzzTest;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.postern.config.AuthConfig;
import io.postern.config.ListenerConfig;
import io.postern.config.ListenerKind;
import io.postern.config.Pop3Config;
import io.postern.config.SpoolFormat;
import io.postern.config.TlsMode;
import io.postern.mailbox.MailboxStore;
import io.postern.mailbox.SpoolLayout;
import java.io.ByteArrayOutputStream;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.time.Clock;
import java.time.Duration;
import java.util.Optional;
import org.slf4j.LoggerFactory;

/**
 * Jazzer target for POP3 command lines: the line decoder and the session's command dispatch as
 * wired by {@link Pop3Pipeline}, on an embedded channel. Invariants: every octet the server sends
 * is a CRLF-terminated line (no bare CR or LF, so nothing a client sends can split a reply), every
 * reply starts {@code +OK} or {@code -ERR} (or is a line of a multi-line answer ended by
 * {@code .}), and no input makes the session fail with an exception (but a TLS record error
 * after {@code STLS}, which is how a client that goes on in plain text ends).
 *
 * <p>{@code PASS} and {@code AUTH} are defused (their first letter changed) before the bytes
 * reach the server: a login runs on another thread, which an embedded channel cannot host. The
 * SASL decoding they use is {@code SaslFuzzTest}'s target.
 */
class Pop3FuzzTest {
    private static final InetSocketAddress CLIENT = new InetSocketAddress("127.0.0.1", 40110);
    private static Pop3Services services;

    /** An embedded channel that says it is connected from a loopback client, as the session expects. */
    private static final class ClientChannel extends EmbeddedChannel {
        ClientChannel() {
            super(false, false);
        }

        @Override
        protected SocketAddress remoteAddress0() {
            return CLIENT;
        }
    }

    private static synchronized Pop3Services services() throws Exception {
        if (services == null) {
            var root = Files.createTempDirectory("pop3-fuzz");
            MapDirectory directory = new MapDirectory()
                    .add("alice@example.test", "alice-pw", false, Optional.empty(), "alice");
            MailboxStore store = new MailboxStore(new SpoolLayout(root, "{domain}/{localpart}"), SpoolFormat.MAILDIR,
                    "node-a", Duration.ofMinutes(2), Clock.systemUTC());
            services = new Pop3Services("mail.example.test", Pop3Config.defaults(),
                    new AuthConfig(false, true, 5, Duration.ofMinutes(5)), directory, store,
                    Optional.of(Pop3Fixture.serverTls()), new SimpleMeterRegistry());
        }
        return services;
    }

    @DictionaryEntries({"USER ", "CAPA", "STLS", "QUIT", "NOOP", "LIST ", "UIDL", "RETR ", "TOP ", "DELE ", "RSET", "STAT", "\\x0D\\x0A"})
    @FuzzTest(maxDuration = "60s")
    void commandLines(byte[] input) throws Exception {
        byte[] bytes = defuseLogins(input);
        Logger log = (Logger) LoggerFactory.getLogger(Pop3SessionHandler.class);
        ListAppender<ILoggingEvent> errors = new ListAppender<>();
        errors.start();
        Level level = log.getLevel();
        boolean additive = log.isAdditive();
        log.addAppender(errors);
        log.setLevel(Level.DEBUG);
        log.setAdditive(false);
        ClientChannel channel = new ClientChannel();
        try {
            ListenerConfig listener = new ListenerConfig("pop3", ListenerKind.POP3, "127.0.0.1", 110, TlsMode.STARTTLS);
            Pop3Pipeline.configure(channel.pipeline(), listener, services());
            channel.register();
            // Arbitrary split points: the decoder must not care where TCP segments end.
            int offset = 0;
            int step = 1 + (bytes.length % 13);
            while (offset < bytes.length && channel.isOpen()) {
                int length = Math.min(step, bytes.length - offset);
                channel.writeInbound(Unpooled.wrappedBuffer(bytes, offset, length));
                channel.runPendingTasks();
                offset += length;
                step = 1 + (step * 7) % 64;
            }
            byte[] sent = drain(channel);
            checkReplies(sent, input);
            // After STLS the client must speak TLS: plain text then is its error, and the session ends.
            boolean tls = new String(sent, StandardCharsets.UTF_8).contains(Pop3Reply.STLS_GO.text());
            for (ILoggingEvent event : errors.list) {
                String line = event.getFormattedMessage();
                if (line.contains("event=pop3-error") && !(tls && line.contains("ssl."))) {
                    throw new IllegalStateException("session failed: " + line);
                }
            }
        } finally {
            channel.finishAndReleaseAll();
            log.detachAppender(errors);
            log.setLevel(level);
            log.setAdditive(additive);
        }
    }

    /** Changes the first letter of PASS and AUTH at a line start so no login starts (see the class comment). */
    static byte[] defuseLogins(byte[] input) {
        byte[] out = input.clone();
        for (int i = 0; i + 4 <= out.length; i++) {
            if (i == 0 || out[i - 1] == '\n') {
                String verb = new String(out, i, 4, StandardCharsets.ISO_8859_1);
                if (verb.equalsIgnoreCase("PASS") || verb.equalsIgnoreCase("AUTH")) {
                    out[i] = 'X';
                }
            }
        }
        return out;
    }

    private static byte[] drain(EmbeddedChannel channel) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        Object message;
        while ((message = channel.readOutbound()) != null) {
            if (message instanceof ByteBuf buf) {
                byte[] copy = new byte[buf.readableBytes()];
                buf.readBytes(copy);
                out.writeBytes(copy);
                buf.release();
            }
        }
        return out.toByteArray();
    }

    private static void checkReplies(byte[] sent, byte[] input) {
        String text = new String(sent, StandardCharsets.UTF_8);
        for (int i = 0; i < sent.length; i++) {
            boolean bareLf = sent[i] == '\n' && (i == 0 || sent[i - 1] != '\r');
            boolean bareCr = sent[i] == '\r' && (i + 1 >= sent.length || sent[i + 1] != '\n');
            if (bareLf || bareCr) {
                throw new IllegalStateException("bare line ending in reply at " + i + ": " + text);
            }
        }
        if (!text.isEmpty() && !text.endsWith("\r\n")) {
            throw new IllegalStateException("unterminated reply: " + text);
        }
        boolean multiLine = false;
        for (String line : text.split("\r\n")) {
            if (multiLine) {
                multiLine = !line.equals(".");
                continue;
            }
            if (line.startsWith("+OK")) {
                // CAPA and a LIST/UIDL without argument answer with lines ended by "."; other +OK are single.
                multiLine = line.contains("follow");
            } else if (!line.startsWith("-ERR")) {
                throw new IllegalStateException("reply line " + line + " after input of " + input.length + " octets");
            }
        }
    }
}
