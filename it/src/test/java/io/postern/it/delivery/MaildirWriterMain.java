package io.postern.it.delivery;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.postern.config.SpoolConfig;
import io.postern.config.SpoolFormat;
import io.postern.delivery.LocalDelivery;
import io.postern.delivery.LocalOutcome;
import io.postern.directory.Recipient;
import io.postern.mail.MailAddress;
import io.postern.mail.MessageContent;
import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Random;

/**
 * One "node" for {@link SharedMaildirIT}: waits for the go file, then delivers {@code count}
 * messages to alice@example.test under {@code root} through the real MDA with its own host name
 * (Maildir, or mbox when the fifth argument is {@code MBOX}).
 * Each message carries its id and the SHA-256 of its body so the test can find lost or broken ones.
 * Exits 0 when every delivery reported success.
 */
public final class MaildirWriterMain {
    private MaildirWriterMain() {
    }

    public static void main(String[] args) throws Exception {
        Path root = Path.of(args[0]);
        String host = args[1];
        int count = Integer.parseInt(args[2]);
        Path go = Path.of(args[3]);
        SpoolFormat format = args.length > 4 ? SpoolFormat.valueOf(args[4]) : SpoolFormat.MAILDIR;
        System.out.println("WAITING for " + go); // the test starts both writers together once both say so
        System.out.flush();
        long deadline = System.nanoTime() + 60_000_000_000L;
        while (!Files.exists(go)) {
            if (System.nanoTime() > deadline) {
                System.err.println("no go file");
                System.exit(3);
            }
            Thread.sleep(5);
        }
        LocalDelivery mda = new LocalDelivery(new SpoolConfig(root, format, "{domain}/{localpart}"), host,
                new SimpleMeterRegistry());
        MailAddress alice = new MailAddress("alice", "example.test");
        Recipient.Mailbox mailbox = new Recipient.Mailbox(alice, "uid=alice", Optional.empty(), OptionalLong.empty(), false);
        Random random = new Random(host.hashCode());
        int failures = 0;
        for (int i = 0; i < count; i++) {
            byte[] message = message(host + "-" + i, random);
            LocalOutcome outcome = mda.deliver(MailAddress.parse("sender@remote.test"), bytes(message), mailbox, alice);
            if (!(outcome instanceof LocalOutcome.Delivered)) {
                System.err.println("message " + i + ": " + outcome);
                failures++;
            }
        }
        System.out.println("delivered " + (count - failures) + " of " + count);
        System.exit(failures == 0 ? 0 : 1);
    }

    static byte[] message(String id, Random random) throws Exception {
        StringBuilder body = new StringBuilder();
        int lines = 1 + random.nextInt(800);
        for (int l = 0; l < lines; l++) {
            body.append(id).append(" line ").append(l).append(' ').append(Long.toHexString(random.nextLong())).append("\r\n");
        }
        byte[] bodyBytes = body.toString().getBytes(StandardCharsets.US_ASCII);
        String digest = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bodyBytes));
        String headers = "X-Test-Id: " + id + "\r\nX-Body-Sha256: " + digest + "\r\nSubject: shared maildir\r\n\r\n";
        byte[] head = headers.getBytes(StandardCharsets.US_ASCII);
        byte[] all = new byte[head.length + bodyBytes.length];
        System.arraycopy(head, 0, all, 0, head.length);
        System.arraycopy(bodyBytes, 0, all, head.length, bodyBytes.length);
        return all;
    }

    static MessageContent bytes(byte[] data) {
        return new MessageContent() {
            @Override
            public InputStream open() {
                return new ByteArrayInputStream(data);
            }

            @Override
            public long size() {
                return data.length;
            }
        };
    }
}
