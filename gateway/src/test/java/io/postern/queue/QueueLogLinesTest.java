package io.postern.queue;

import static io.postern.queue.QueueFixture.await;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.entry;

import io.postern.mail.Acceptance;
import io.postern.mail.DeliveryResult;
import io.postern.mail.EnhancedStatus;
import io.postern.mail.Envelope;
import io.postern.mail.EnvelopeRecipient;
import io.postern.mail.MailAddress;
import io.postern.testing.LogCapture;
import io.postern.observability.LogLineParser;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The queue's log lines carry the sender, recipients, login and remote replies as the client and
 * the remote server sent them: each line must read back into exactly the pairs that were meant,
 * whatever those values hold (issue 19, item 7).
 */
class QueueLogLinesTest {
    private static final Duration WAIT = Duration.ofSeconds(30);
    /**
     * A quoted local part may hold spaces, '=' and any non-ASCII character (RFC 6531): without
     * escaping it adds pairs to the line, breaks it (U+2028, U+0085) or reorders it (bidi).
     */
    private static final MailAddress SENDER = QueueFixture.address(
            "\"a id=FAKE nrcpt=99 auth=root \u2028event=queued\u0085\u202egpj.exe\u2066\"@other.test");
    private static final MailAddress FAILS = QueueFixture.address("\"b status=sent dsn=2.0.0\u2029x\"@example.net");
    private static final MailAddress WAITS = new MailAddress("waits", "example.net");
    /** The login and the remote reply are not addresses: they may hold line ends and backslashes. */
    private static final String LOGIN = "carol auth=root\\\" client=10.0.0.1\n\u200fevent=x";
    private static final String REPLY = "550 5.1.1 no such user status=sent\r\n\u2029relay=fake \u202a\\";

    @TempDir
    Path dir;

    @Test
    void queuedDeliveryNoticeAndDeletedLinesReadBackExactly() throws Exception {
        QueueFixture.ScriptedAgent agent = new QueueFixture.ScriptedAgent();
        agent.decide = r -> r.address().equals(FAILS) ? DeliveryResult.failed(r, EnhancedStatus.of("5.1.1"), REPLY)
                : r.address().equals(WAITS) ? DeliveryResult.deferred(r, EnhancedStatus.of("4.4.1"), REPLY)
                : DeliveryResult.delivered(r, "250 ok", Optional.empty());
        try (LogCapture logs = LogCapture.root();
             MailQueue queue = QueueFixture.start(QueueFixture.config(dir), Clock.systemUTC(), IoHooks.NONE)) {
            queue.setDeliveryAgent(agent);
            Acceptance bounced = QueueFixture.accept(queue, envelope(FAILS), QueueFixture.message("bounce me"));
            Acceptance waiting = QueueFixture.accept(queue, envelope(WAITS), QueueFixture.message("delete me"));

            List<Map<String, String>> queued = logs.await("queued", 3).stream().map(LogLineParser::parse).toList();
            assertThat(queued.get(0)).containsExactly(entry("event", "queued"), entry("id", bounced.queueId()),
                    entry("from", "<" + SENDER + ">"), entry("nrcpt", "1"), entry("size", queued.get(0).get("size")),
                    entry("origin", "message"), entry("client", "192.0.2.1"), entry("auth", LOGIN));
            assertThat(queued).filteredOn(q -> q.get("id").equals(waiting.queueId())).singleElement()
                    .satisfies(q -> assertThat(q).containsEntry("from", "<" + SENDER + ">").containsEntry("auth", LOGIN));
            assertThat(queued).filteredOn(q -> q.get("origin").equals("notice")).singleElement()
                    .satisfies(q -> assertThat(q).containsEntry("from", "<>"));

            Map<String, String> failed = delivery(logs, FAILS);
            assertThat(failed).containsExactly(entry("event", "delivery"), entry("id", bounced.queueId()),
                    entry("from", "<" + SENDER + ">"), entry("to", "<" + FAILS + ">"), entry("relay", failed.get("relay")),
                    entry("delay", failed.get("delay")), entry("attempt", "1"), entry("status", "bounced"),
                    entry("dsn", "5.1.1"), entry("diag", REPLY));
            Map<String, String> deferred = delivery(logs, WAITS);
            assertThat(deferred).containsEntry("status", "deferred").containsEntry("diag", REPLY)
                    .containsEntry("from", "<" + SENDER + ">");

            Map<String, String> notice = LogLineParser.parse(logs.await("notice", 1).getFirst());
            assertThat(notice).containsExactly(entry("event", "notice"), entry("id", bounced.queueId()),
                    entry("notice", notice.get("notice")), entry("kind", "failed"), entry("to", "<" + SENDER + ">"),
                    entry("recipients", "1"));
            Map<String, String> toSender = delivery(logs, SENDER);
            assertThat(toSender).containsEntry("from", "<>").containsEntry("status", "sent");

            await("the waiting message deferred", () -> queue.show(waiting.queueId()).orElse("").contains("state: deferred"));
            assertThat(queue.delete(waiting.queueId())).isEqualTo(MailQueue.Result.DONE);
            assertThat(LogLineParser.parse(logs.await("deleted", 1).getFirst())).containsExactly(entry("event", "deleted"),
                    entry("id", waiting.queueId()), entry("from", "<" + SENDER + ">"), entry("by", "operator"));

            // Every queue line, whatever its kind, is one well-formed LogLine with nothing raw in it.
            for (String line : logs.lines().stream().filter(l -> l.startsWith("event=")).toList()) {
                assertThat(LogLineParser.parse(line)).as(line).containsKey("event");
            }
        }
    }

    private static Map<String, String> delivery(LogCapture logs, MailAddress to) throws InterruptedException {
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (System.nanoTime() < deadline) {
            Optional<Map<String, String>> found = logs.events("delivery").stream().map(LogLineParser::parse)
                    .filter(d -> d.get("to").equals("<" + to + ">")).findFirst();
            if (found.isPresent()) {
                return found.get();
            }
            Thread.sleep(10);
        }
        throw new AssertionError("no delivery line to " + to + " in " + logs.lines());
    }

    private static Envelope envelope(MailAddress recipient) {
        return new Envelope(Optional.of(SENDER), List.of(EnvelopeRecipient.of(recipient)),
                Envelope.BodyType.EIGHT_BIT_MIME, false, Optional.empty(), Optional.empty(),
                new Envelope.SessionTrace("192.0.2.1", "client.example.net", "client.example.net", "ESMTPSA",
                        Optional.of(LOGIN), Optional.of("TLS_AES_128_GCM_SHA256"), Instant.now()));
    }
}
