package io.postern.delivery;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.postern.config.SpoolConfig;
import io.postern.config.SpoolFormat;
import io.postern.directory.Recipient;
import io.postern.mail.Envelope;
import io.postern.mail.EnvelopeRecipient;
import io.postern.mail.MailAddress;
import io.postern.mail.MemoryContent;
import io.postern.mail.QueuedMessage;
import io.postern.testing.TestContent;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A queued message offered again to the same mailbox (after a crash, or a retry) is written once. */
class ExactlyOnceDeliveryTest {
    private static final Optional<MailAddress> SENDER = MailAddress.parse("bob@remote.test");
    private static final MemoryContent MESSAGE = TestContent.of("Subject: hello\r\n\r\nHi.\r\n");
    private static final Instant ARRIVAL = Instant.parse("2026-11-26T10:00:00Z");

    @TempDir
    Path base;

    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();

    private LocalDelivery delivery() {
        return new LocalDelivery(new SpoolConfig(base.resolve("spool"), SpoolFormat.MAILDIR, "{domain}/{localpart}"),
                "node-a", registry);
    }

    private static Recipient.Mailbox mailbox(String local) {
        return new Recipient.Mailbox(new MailAddress(local, "example.test"), "uid=" + local, Optional.empty(),
                OptionalLong.empty(), false);
    }

    private static Optional<DeliveryKey> key(String queueId, boolean repeat) {
        return Optional.of(new DeliveryKey(queueId, ARRIVAL, repeat));
    }

    private List<Path> files(String local) throws IOException {
        Path maildir = base.resolve("spool/example.test/" + local);
        try (Stream<Path> n = Files.list(maildir.resolve("new")); Stream<Path> c = Files.list(maildir.resolve("cur"));
             Stream<Path> t = Files.list(maildir.resolve("tmp"))) {
            assertThat(t.toList()).as("tmp/ left clean").isEmpty();
            return Stream.concat(n, c).toList();
        }
    }

    private LocalOutcome.Delivered deliver(LocalDelivery mda, String local, MailAddress deliveredTo,
                                           Optional<DeliveryKey> key) {
        return (LocalOutcome.Delivered) mda.deliver(SENDER, MESSAGE, mailbox(local), deliveredTo, key);
    }

    @Test
    void aTornCopyLeftByAPowerLossIsWrittenAgainOnTheRepeat() throws IOException {
        LocalDelivery mda = delivery();
        MailAddress alice = new MailAddress("alice", "example.test");
        Path first = deliver(mda, "alice", alice, key("00000000000000C1", false)).file();
        byte[] whole = Files.readAllBytes(first);
        // What a crash between link and syncfs can leave: the name on disk, the bytes not (zeros).
        Files.write(first, new byte[whole.length]);

        Path again = deliver(mda, "alice", alice, key("00000000000000C1", true)).file();

        assertThat(again).isEqualTo(first);
        assertThat(Files.readAllBytes(again)).isEqualTo(whole);
        assertThat(files("alice")).containsExactly(again);
        assertThat(registry.counter("postern.delivery.local.duplicates.avoided").count()).isZero();
    }

    @Test
    void aFrontsKeyIsFoundByAnotherWorkerOnTheSharedSpool() throws IOException {
        LocalDelivery workerA = delivery();
        LocalDelivery workerB = new LocalDelivery(new SpoolConfig(base.resolve("spool"), SpoolFormat.MAILDIR,
                "{domain}/{localpart}"), "node-b", registry);
        MailAddress alice = new MailAddress("alice", "example.test");
        Optional<DeliveryKey> fromFront = Optional.of(new DeliveryKey("0123456789ABCDEF", ARRIVAL, false,
                Optional.of("front-0-1a2b3c4d")));
        Optional<DeliveryKey> retried = Optional.of(new DeliveryKey("0123456789ABCDEF", ARRIVAL, true,
                Optional.of("front-0-1a2b3c4d")));
        Path first = deliver(workerA, "alice", alice, fromFront).file();
        Path again = deliver(workerB, "alice", alice, retried).file();
        assertThat(again).isEqualTo(first);
        assertThat(files("alice")).containsExactly(first);
        // The same queue id from another front is another message.
        Path other = deliver(workerB, "alice", alice, Optional.of(new DeliveryKey("0123456789ABCDEF", ARRIVAL, true,
                Optional.of("front-1-99999999")))).file();
        assertThat(files("alice")).containsExactlyInAnyOrder(first, other);
    }

    @Test
    void aKeyOfThisNodesOwnQueueIsNotTakenForAnotherHostsCopy() throws IOException {
        LocalDelivery nodeB = new LocalDelivery(new SpoolConfig(base.resolve("spool"), SpoolFormat.MAILDIR,
                "{domain}/{localpart}"), "node-b", registry);
        MailAddress alice = new MailAddress("alice", "example.test");
        Path first = deliver(delivery(), "alice", alice, key("0123456789ABCDEF", false)).file();
        Path second = deliver(nodeB, "alice", alice, key("0123456789ABCDEF", true)).file();
        assertThat(files("alice")).containsExactlyInAnyOrder(first, second);
    }

    @Test
    void theSameQueuedMessageToTheSameMailboxIsWrittenOnce() throws IOException {
        LocalDelivery mda = delivery();
        MailAddress alice = new MailAddress("alice", "example.test");
        Path first = deliver(mda, "alice", alice, key("0123456789ABCDEF", false)).file();
        Path again = deliver(mda, "alice", alice, key("0123456789ABCDEF", true)).file();
        Path third = deliver(mda, "alice", alice, key("0123456789ABCDEF", true)).file();

        assertThat(files("alice")).containsExactly(first);
        assertThat(again).isEqualTo(first);
        assertThat(third).isEqualTo(first);
        assertThat(first.getFileName().toString()).matches(
                ARRIVAL.getEpochSecond() + "\\.Q0123456789ABCDEF_[0-9a-f]{12}\\.node-a,S=" + Files.size(first));
        assertThat(registry.counter("postern.delivery.local.duplicates.avoided").count()).isEqualTo(2);
    }

    @Test
    void differentQueueIdsOrMailboxesAreWrittenSeparately() throws IOException {
        LocalDelivery mda = delivery();
        MailAddress alice = new MailAddress("alice", "example.test");
        deliver(mda, "alice", alice, key("0000000000000001", true));
        deliver(mda, "alice", alice, key("0000000000000002", true));
        deliver(mda, "bob", new MailAddress("bob", "example.test"), key("0000000000000001", true));
        // Without a key (LMTP, tests) every delivery is a new file, as before.
        deliver(mda, "alice", alice, Optional.empty());
        deliver(mda, "alice", alice, Optional.empty());

        assertThat(files("alice")).hasSize(4);
        assertThat(files("bob")).hasSize(1);
    }

    @Test
    void aCopyMovedToCurByPop3OrFlaggedByImapIsFound() throws IOException {
        LocalDelivery mda = delivery();
        MailAddress alice = new MailAddress("alice", "example.test");
        Path cur = base.resolve("spool/example.test/alice/cur");

        Path seen = deliver(mda, "alice", alice, key("00000000000000A1", false)).file();
        Path seenInCur = cur.resolve(seen.getFileName() + ":2,S"); // what POP3 RETR does
        Files.move(seen, seenInCur);
        assertThat(deliver(mda, "alice", alice, key("00000000000000A1", true)).file()).isEqualTo(seenInCur);

        Path flagged = deliver(mda, "alice", alice, key("00000000000000A2", false)).file();
        Path flaggedInCur = cur.resolve(flagged.getFileName() + ":2,FRS"); // an IMAP server's flags
        Files.move(flagged, flaggedInCur);
        assertThat(deliver(mda, "alice", alice, key("00000000000000A2", true)).file()).isEqualTo(flaggedInCur);

        // Found by (queue id, mailbox) even when the added headers changed size (another +tag this time).
        assertThat(deliver(mda, "alice", new MailAddress("alice+long-tag", "example.test"),
                key("00000000000000A2", true)).file()).isEqualTo(flaggedInCur);

        assertThat(files("alice")).containsExactlyInAnyOrder(seenInCur, flaggedInCur);
    }

    @Test
    void aCopyDeletedByTheUserIsNotWrittenAgainOnlyIfStillThere() throws IOException {
        // Once the user deleted it the message is gone from the Maildir; a later repeat writes it again.
        // This bounds what we promise: exactly once while the copy exists, never zero times.
        LocalDelivery mda = delivery();
        MailAddress alice = new MailAddress("alice", "example.test");
        Path first = deliver(mda, "alice", alice, key("00000000000000B1", false)).file();
        Files.delete(first);
        deliver(mda, "alice", alice, key("00000000000000B1", true));
        assertThat(files("alice")).hasSize(1);
    }

    @Test
    void aFirstAttemptNeverReplacesAFileOfTheSameName() throws IOException {
        LocalDelivery mda = delivery();
        MailAddress alice = new MailAddress("alice", "example.test");
        Path first = deliver(mda, "alice", alice, key("00000000000000C1", false)).file();
        Files.writeString(first, "X-Marker: original\r\n" + Files.readString(first).substring(20));
        // The same message reaching the same mailbox twice in one attempt (two recipients in different domains).
        Path twin = deliver(mda, "alice", alice, key("00000000000000C1", false)).file();
        assertThat(twin).isEqualTo(first);
        assertThat(Files.readString(first)).startsWith("X-Marker: original");
        assertThat(files("alice")).hasSize(1);
    }

    @Test
    void keysComeOnlyFromTrackedQueueIdsThatAreSafeInFileNames() {
        Envelope envelope = new Envelope(SENDER, List.of(EnvelopeRecipient.of(new MailAddress("a", "example.test"))),
                Envelope.BodyType.SEVEN_BIT, false, Optional.empty(), Optional.empty(),
                new Envelope.SessionTrace("127.0.0.1", "c", "c", "ESMTP", Optional.empty(), Optional.empty(), ARRIVAL));
        assertThat(DeliveryKey.of(new QueuedMessage("0123456789ABCDEF", envelope, MESSAGE))).isEmpty();
        assertThat(DeliveryKey.of(new QueuedMessage("../x", envelope, MESSAGE, QueuedMessage.Attempt.REPEAT)))
                .isEmpty();
        assertThat(DeliveryKey.of(new QueuedMessage("0123456789ABCDEF", envelope, MESSAGE,
                QueuedMessage.Attempt.REPEAT))).contains(new DeliveryKey("0123456789ABCDEF", ARRIVAL, true));
        assertThat(DeliveryKey.of(new QueuedMessage("0123456789ABCDEF", envelope, MESSAGE,
                QueuedMessage.Attempt.FIRST))).contains(new DeliveryKey("0123456789ABCDEF", ARRIVAL, false));
    }

    @Test
    void anotherHostsNameWithTheSamePrefixIsNotTakenForOurs() {
        assertThat(MaildirWriter.sameBase("1.Qx_ab.node-a,S=5", "1.Qx_ab.node-a")).isTrue();
        assertThat(MaildirWriter.sameBase("1.Qx_ab.node-a,S=5:2,S", "1.Qx_ab.node-a")).isTrue();
        assertThat(MaildirWriter.sameBase("1.Qx_ab.node-ab,S=5", "1.Qx_ab.node-a")).isFalse();
    }

    // ---- mbox: journalled appends ----------------------------------------------------------

    private LocalDelivery mboxDelivery() {
        SpoolConfig spool = new SpoolConfig(base.resolve("spool"), SpoolFormat.MBOX, "{domain}/{localpart}");
        // A fixed clock: each append's "From " line carries the time, and the tests compare whole mboxes.
        java.time.Clock clock = java.time.Clock.fixed(java.time.Instant.parse("2026-12-03T10:00:00Z"),
                java.time.ZoneOffset.UTC);
        MboxWriter mbox = new MboxWriter(spool.lockTimeout(), spool.staleLockAge(),
                file -> spool.access().create(file, java.nio.file.StandardOpenOption.CREATE,
                        java.nio.file.StandardOpenOption.WRITE, java.nio.file.StandardOpenOption.READ),
                clock, spool.access());
        return new LocalDelivery(new io.postern.mailbox.SpoolLayout(spool), SpoolFormat.MBOX,
                new MaildirWriter("node-a"), mbox, registry);
    }

    private long messagesIn(Path mbox) throws IOException {
        return Files.readAllLines(mbox).stream().filter(l -> l.startsWith("From ")).count();
    }

    @Test
    void mboxRepeatOfAnAppendedMessageAppendsNothing() throws IOException {
        LocalDelivery mda = mboxDelivery();
        MailAddress alice = new MailAddress("alice", "example.test");
        Path mbox = base.resolve("spool/example.test/alice");
        mda.deliver(SENDER, MESSAGE, mailbox("alice"), alice, key("00000000000000D1", false));
        mda.deliver(SENDER, MESSAGE, mailbox("alice"), alice, key("00000000000000D2", false));
        mda.deliver(SENDER, MESSAGE, mailbox("alice"), alice, key("00000000000000D1", true));
        mda.deliver(SENDER, MESSAGE, mailbox("alice"), alice, key("00000000000000D2", true));
        assertThat(messagesIn(mbox)).isEqualTo(2);
        assertThat(registry.counter("postern.delivery.local.duplicates.avoided").count()).isEqualTo(2);
        // A different mailbox or queue id is another delivery.
        mda.deliver(SENDER, MESSAGE, mailbox("alice"), alice, key("00000000000000D3", true));
        assertThat(messagesIn(mbox)).isEqualTo(3);
        assertThat(base.resolve("spool/example.test/alice.postern-journal")).exists();
    }

    @Test
    void mboxAppendCutShortOrRewrittenAwayIsAppendedAgain() throws IOException {
        LocalDelivery mda = mboxDelivery();
        MailAddress alice = new MailAddress("alice", "example.test");
        Path mbox = base.resolve("spool/example.test/alice");
        mda.deliver(SENDER, MESSAGE, mailbox("alice"), alice, key("00000000000000E1", false));
        String whole = Files.readString(mbox);
        // The journal entry was written, the append died half way (kill -9 mid-write): not delivered.
        Files.writeString(mbox, whole.substring(0, whole.length() / 2));
        mda.deliver(SENDER, MESSAGE, mailbox("alice"), alice, key("00000000000000E1", true));
        assertThat(Files.readString(mbox)).endsWith(whole);

        // The mbox was rewritten by a POP3 expunge and the message is gone: append again, never lose it.
        Files.writeString(mbox, "");
        mda.deliver(SENDER, MESSAGE, mailbox("alice"), alice, key("00000000000000E1", true));
        assertThat(Files.readString(mbox)).isEqualTo(whole);
    }

    @Test
    void mboxJournalStaysBounded() throws IOException {
        Path journalFile = base.resolve("j");
        MboxJournal journal = new MboxJournal(journalFile);
        for (int i = 0; i < MboxJournal.KEEP * 4; i++) {
            journal.append(new MboxJournal.Entry("1.Q" + i + "_abcdef012345", i * 1000L, 1_700_000_000L));
        }
        assertThat(Files.size(journalFile)).isLessThanOrEqualTo(MboxJournal.MAX_BYTES + 100);
        assertThat(journal.find("1.Q" + (MboxJournal.KEEP * 4 - 1) + "_abcdef012345")).isPresent();
        assertThat(journal.find("1.Q0_abcdef012345")).isEmpty();
        Files.writeString(journalFile, "damaged line\nx 1\n", java.nio.file.StandardOpenOption.APPEND);
        assertThat(journal.find("1.Q" + (MboxJournal.KEEP * 4 - 1) + "_abcdef012345")).isPresent();
    }
}
