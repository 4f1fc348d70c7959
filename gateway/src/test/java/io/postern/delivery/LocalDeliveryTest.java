package io.postern.delivery;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.postern.config.SpoolConfig;
import io.postern.config.SpoolFormat;
import io.postern.directory.Recipient;
import io.postern.mail.EnhancedStatus;
import io.postern.mail.MailAddress;
import io.postern.mail.MemoryContent;
import io.postern.testing.TestContent;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LocalDeliveryTest {
    private static final Optional<MailAddress> SENDER = MailAddress.parse("bob@remote.test");
    private static final MemoryContent MESSAGE = TestContent.of("Subject: hello\r\n\r\nHi.\r\n");

    @TempDir
    Path base;

    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();

    private LocalDelivery delivery(SpoolFormat format) {
        return new LocalDelivery(new SpoolConfig(base.resolve("spool"), format, "{domain}/{localpart}"), "node-a",
                registry);
    }

    private static Recipient.Mailbox mailbox(String local, String domain, Optional<String> spool, OptionalLong quota) {
        return new Recipient.Mailbox(new MailAddress(local, domain), "uid=x", spool, quota, false);
    }

    @Test
    void deliversIntoTheLayoutWithReturnPathAndDeliveredTo() throws IOException {
        Recipient.Mailbox alice = mailbox("Alice", "example.test", Optional.empty(), OptionalLong.empty());
        LocalOutcome outcome = delivery(SpoolFormat.MAILDIR).deliver(SENDER, MESSAGE, alice,
                new MailAddress("alice+news", "example.test"));

        Path file = ((LocalOutcome.Delivered) outcome).file();
        assertThat(file.getParent()).isEqualTo(base.resolve("spool/example.test/alice/new"));
        assertThat(Files.readString(file)).isEqualTo("Return-Path: <bob@remote.test>\r\n"
                + "Delivered-To: alice+news@example.test\r\nSubject: hello\r\n\r\nHi.\r\n");
        assertThat(file.getFileName().toString()).endsWith(".node-a,S=" + Files.size(file));
        assertThat(registry.counter("postern.delivery.local", "outcome", "delivered").count()).isEqualTo(1);
        assertThat(registry.timer("postern.delivery.local.latency").count()).isEqualTo(1);
    }

    @Test
    void mboxFormatAppendsToTheLayoutPath() throws IOException {
        Recipient.Mailbox alice = mailbox("alice", "example.test", Optional.empty(), OptionalLong.empty());
        LocalOutcome outcome = delivery(SpoolFormat.MBOX).deliver(Optional.empty(), MESSAGE, alice, alice.address());
        assertThat(outcome).isEqualTo(new LocalOutcome.Delivered(base.resolve("spool/example.test/alice")));
        assertThat(Files.readString(base.resolve("spool/example.test/alice")))
                .startsWith("From MAILER-DAEMON ")
                .contains("\nReturn-Path: <>\nDelivered-To: alice@example.test\nSubject: hello\n\nHi.\n\n");
    }

    @Test
    void overQuotaIsPermanent552AndWritesNothing() throws IOException {
        LocalDelivery delivery = delivery(SpoolFormat.MAILDIR);
        long one = LocalDelivery.headers(SENDER, new MailAddress("alice", "example.test")).length + MESSAGE.size();
        Recipient.Mailbox alice = mailbox("alice", "example.test", Optional.empty(), OptionalLong.of(2 * one));

        assertThat(delivery.deliver(SENDER, MESSAGE, alice, alice.address())).isInstanceOf(LocalOutcome.Delivered.class);
        assertThat(delivery.deliver(SENDER, MESSAGE, alice, alice.address())).isInstanceOf(LocalOutcome.Delivered.class);
        assertThat(Files.readString(base.resolve("spool/example.test/alice/maildirsize")))
                .isEqualTo(2 * one + "S\n" + one + " 1\n" + one + " 1\n");
        assertThat(delivery.deliver(SENDER, MESSAGE, alice, alice.address()))
                .isEqualTo(new LocalOutcome.PermFailed(EnhancedStatus.of("5.2.2"), "mailbox full"));
        try (Stream<Path> files = Files.list(base.resolve("spool/example.test/alice/new"))) {
            assertThat(files.count()).isEqualTo(2);
        }
        assertThat(registry.counter("postern.delivery.local", "outcome", "failed").count()).isEqualTo(1);

        LocalDelivery mbox = delivery(SpoolFormat.MBOX);
        Recipient.Mailbox bob = mailbox("bob", "example.test", Optional.empty(), OptionalLong.of(10));
        assertThat(mbox.deliver(SENDER, MESSAGE, bob, bob.address()))
                .isEqualTo(new LocalOutcome.PermFailed(EnhancedStatus.of("5.2.2"), "mailbox full"));
        assertThat(base.resolve("spool/example.test/bob")).doesNotExist();
    }

    @Test
    void hostileLocalPartsDomainsAndOverridesArePermanentFailuresAndWriteNothing() throws IOException {
        Path outside = base.resolve("outside");
        Files.createDirectories(outside);
        Files.createDirectories(base.resolve("spool"));
        List<Recipient.Mailbox> hostile = List.of(
                mailbox("..", "example.test", Optional.empty(), OptionalLong.empty()),
                mailbox("../outside", "example.test", Optional.empty(), OptionalLong.empty()),
                mailbox("a/b", "example.test", Optional.empty(), OptionalLong.empty()),
                mailbox("a\\b", "example.test", Optional.empty(), OptionalLong.empty()),
                mailbox("nul\0byte", "example.test", Optional.empty(), OptionalLong.empty()),
                mailbox("ctl\u0001char", "example.test", Optional.empty(), OptionalLong.empty()),
                mailbox("new\nline", "example.test", Optional.empty(), OptionalLong.empty()),
                mailbox("x".repeat(300), "example.test", Optional.empty(), OptionalLong.empty()),
                mailbox("alice", "..", Optional.empty(), OptionalLong.empty()),
                mailbox("alice", "example.test", Optional.of("../outside"), OptionalLong.empty()),
                mailbox("alice", "example.test", Optional.of("../../outside"), OptionalLong.empty()),
                mailbox("alice", "example.test", Optional.of("a/../../outside"), OptionalLong.empty()),
                mailbox("alice", "example.test", Optional.of("ok/\0/x"), OptionalLong.empty()),
                mailbox("alice", "example.test", Optional.of("y".repeat(300)), OptionalLong.empty()),
                mailbox("alice", "example.test", Optional.of("."), OptionalLong.empty()));
        for (SpoolFormat format : SpoolFormat.values()) {
            LocalDelivery delivery = delivery(format);
            for (Recipient.Mailbox m : hostile) {
                assertThat(delivery.deliver(SENDER, MESSAGE, m, new MailAddress("alice", "example.test")))
                        .as(format + " " + m.address().localPart() + " " + m.spool())
                        .isEqualTo(new LocalOutcome.PermFailed(EnhancedStatus.of("5.3.0"), "mailbox path refused"));
            }
        }
        try (Stream<Path> all = Files.walk(base)) {
            assertThat(all.filter(p -> !p.equals(base))).containsExactlyInAnyOrder(base.resolve("outside"),
                    base.resolve("spool"));
        }
    }

    @Test
    void aDirectoryOverrideInsideTheRootIsUsed() throws IOException {
        Recipient.Mailbox alice = mailbox("alice", "example.test", Optional.of("/custom/a/alice"), OptionalLong.empty());
        LocalOutcome outcome = delivery(SpoolFormat.MAILDIR).deliver(SENDER, MESSAGE, alice, alice.address());
        assertThat(((LocalOutcome.Delivered) outcome).file().getParent())
                .isEqualTo(base.resolve("spool/custom/a/alice/new"));
    }

    @Test
    void aDisabledMailboxIsPermanentAndAnUnwritableSpoolIsTemporary() throws IOException {
        Recipient.Mailbox off = new Recipient.Mailbox(new MailAddress("off", "example.test"), "uid=off",
                Optional.empty(), OptionalLong.empty(), true);
        assertThat(delivery(SpoolFormat.MAILDIR).deliver(SENDER, MESSAGE, off, off.address()))
                .isInstanceOf(LocalOutcome.PermFailed.class);

        Files.createDirectories(base.resolve("spool/example.test"));
        Files.writeString(base.resolve("spool/example.test/file"), "a file where a Maildir should be");
        Recipient.Mailbox blocked = mailbox("file", "example.test", Optional.empty(), OptionalLong.empty());
        assertThat(delivery(SpoolFormat.MAILDIR).deliver(SENDER, MESSAGE, blocked, blocked.address()))
                .isEqualTo(new LocalOutcome.TempFailed(EnhancedStatus.of("4.3.0"), "spool write failed"));
    }

    @Test
    void aMessageThatWasAlreadyDeliveredHereIsAForwardingLoop() throws IOException {
        Recipient.Mailbox alice = mailbox("alice", "example.test", Optional.empty(), OptionalLong.empty());
        LocalDelivery delivery = delivery(SpoolFormat.MAILDIR);
        MemoryContent cameBack = TestContent.of("Received: from x\r\nDELIVERED-TO:  Alice@Example.test \r\n"
                + "Subject: again\r\n\r\nbody\r\n");
        assertThat(delivery.deliver(SENDER, cameBack, alice, alice.address()))
                .isEqualTo(new LocalOutcome.PermFailed(EnhancedStatus.of("5.4.6"), "mail forwarding loop for alice@example.test"));
        assertThat(base.resolve("spool/example.test/alice")).doesNotExist();

        MemoryContent elsewhere = TestContent.of("Delivered-To: bob@example.test\r\nX-Long: " + "y".repeat(5000)
                + "\r\n\r\nDelivered-To: alice@example.test\r\n");
        assertThat(delivery.deliver(SENDER, elsewhere, alice, alice.address())).isInstanceOf(LocalOutcome.Delivered.class);
    }

    @Test
    void theObsoleteFormWithWhiteSpaceBeforeTheColonIsALoopToo() throws IOException {
        Recipient.Mailbox alice = mailbox("alice", "example.test", Optional.empty(), OptionalLong.empty());
        MemoryContent cameBack = TestContent.of("Delivered-To\t : alice@example.test\r\nSubject: again\r\n\r\nbody\r\n");
        assertThat(delivery(SpoolFormat.MAILDIR).deliver(SENDER, cameBack, alice, alice.address()))
                .isEqualTo(new LocalOutcome.PermFailed(EnhancedStatus.of("5.4.6"), "mail forwarding loop for alice@example.test"));
    }

    @Test
    void foreseeAnswersWhatDeliverWouldForALoopAndAFullMailbox() throws IOException {
        LocalDelivery delivery = delivery(SpoolFormat.MAILDIR);
        Recipient.Mailbox alice = mailbox("alice", "example.test", Optional.empty(), OptionalLong.of(200));
        assertThat(delivery.foresee(SENDER, alice, alice.address(), 10, java.util.Set.of("alice@example.test")))
                .contains(new LocalOutcome.PermFailed(EnhancedStatus.of("5.4.6"), "mail forwarding loop for alice@example.test"));
        assertThat(delivery.foresee(SENDER, alice, alice.address(), 10, java.util.Set.of("bob@example.test")))
                .isEmpty();
        assertThat(delivery.foresee(SENDER, alice, alice.address(), 500, java.util.Set.of()))
                .contains(new LocalOutcome.PermFailed(EnhancedStatus.of("5.2.2"), "mailbox full"));
        Recipient.Mailbox unlimited = mailbox("bob", "example.test", Optional.empty(), OptionalLong.empty());
        assertThat(delivery.foresee(SENDER, unlimited, unlimited.address(), 1_000_000, java.util.Set.of())).isEmpty();
    }
}
