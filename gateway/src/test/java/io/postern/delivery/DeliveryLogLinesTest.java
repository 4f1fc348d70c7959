package io.postern.delivery;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.entry;

import io.postern.mail.EnhancedStatus;
import io.postern.testing.TestContent;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.postern.config.SpoolConfig;
import io.postern.config.SpoolFormat;
import io.postern.directory.Recipient;
import io.postern.mail.MailAddress;
import io.postern.testing.LogCapture;
import io.postern.observability.LogLineParser;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Local delivery's log lines quote addresses and directory values exactly and add no pair (issue 19, item 7). */
class DeliveryLogLinesTest {
    private static final MailAddress HOSTILE = MailAddress.parse(
            "\"q used=0 quota=99\u2028event=delivered\u202egpj.exe\u2067\"@example.test").orElseThrow();
    private static final String DN = "uid=x\r\nevent=fake,dc=\\\"example\u2029";
    private static final String SPOOL = "box\r\nevent=fake \u2028\\\"";

    @TempDir
    Path base;

    @Test
    void overQuotaLoopAndUnsafePathLinesReadBackExactly() {
        LocalDelivery delivery = new LocalDelivery(new SpoolConfig(base.resolve("spool"), SpoolFormat.MAILDIR,
                "{domain}/{localpart}"), "node-a", new SimpleMeterRegistry());
        try (LogCapture logs = LogCapture.root()) {
            Recipient.Mailbox small = new Recipient.Mailbox(HOSTILE, DN, Optional.empty(), OptionalLong.of(1), false);
            assertThat(delivery.deliver(Optional.empty(), TestContent.of("Subject: x\r\n\r\nx\r\n"), small, HOSTILE))
                    .isInstanceOf(LocalOutcome.PermFailed.class);
            Map<String, String> quota = LogLineParser.parse(logs.events("over-quota").getFirst());
            assertThat(quota).containsExactly(entry("event", "over-quota"), entry("mailbox", HOSTILE.toString()),
                    entry("used", "0"), entry("size", quota.get("size")), entry("quota", "1"));

            Recipient.Mailbox looped = new Recipient.Mailbox(HOSTILE, DN, Optional.empty(), OptionalLong.empty(), false);
            assertThat(delivery.deliver(Optional.empty(),
                    TestContent.of("Delivered-To: " + HOSTILE + "\r\nSubject: x\r\n\r\nx\r\n"), looped, HOSTILE))
                    .isInstanceOf(LocalOutcome.PermFailed.class);
            assertThat(LogLineParser.parse(logs.events("delivered-to-loop").getFirst()))
                    .containsExactly(entry("event", "delivered-to-loop"), entry("mailbox", HOSTILE.toString()));

            Recipient.Mailbox unsafe = new Recipient.Mailbox(HOSTILE, DN, Optional.of(SPOOL), OptionalLong.empty(), false);
            assertThat(delivery.deliver(Optional.empty(), TestContent.of("Subject: x\r\n\r\nx\r\n"), unsafe, HOSTILE))
                    .isEqualTo(new LocalOutcome.PermFailed(EnhancedStatus.of("5.3.0"), "mailbox path refused"));
            Map<String, String> path = LogLineParser.parse(logs.events("unsafe-spool-path").getFirst());
            assertThat(path).containsOnlyKeys("event", "mailbox", "dn", "problem")
                    .containsEntry("mailbox", HOSTILE.toString()).containsEntry("dn", DN);
            assertThat(path.get("problem")).contains("'" + SPOOL + "'");
        }
    }
}
