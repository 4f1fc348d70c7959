package io.postern.queue;

import static org.assertj.core.api.Assertions.assertThat;

import io.postern.mail.EnhancedStatus;
import io.postern.queue.QueueRecord.RecipientState;
import io.postern.queue.QueueRecord.Status;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * An envelope file exactly as the code before the scheduler split and typed outcomes wrote it
 * (main at f5e5182): a queue left by that version must be delivered by this one, and this one
 * writes the same format back.
 */
class OldQueueRecordTest {
    /** Three recipients: delivered and reported, failed and not yet reported, deferred (pending). */
    static final String WRITTEN_BY_F5E5182 = """
            postern-queue=1
            id=0DC4A5F1B2C00001
            size=5120
            origin=message
            sender=alice@example.com
            body=EIGHT_BIT_MIME
            smtputf8=false
            ret=HDRS
            envid=QQ314159
            envid-present=true
            client-address=192.0.2.7
            client-name=client.example.net
            helo=client.example.net
            protocol=ESMTPSA
            auth=alice
            auth-present=true
            tls=TLS_AES_128_GCM_SHA256
            tls-present=true
            trusted-network=false
            arrival=2026-11-26T13:55:00Z
            attempts=2
            next=2026-11-26T14:05:00Z
            held=false
            delay-notified=false
            rcpt=bob@example.net;notify=SUCCESS;orcpt=rfc822%3bbob@example.net;orcpt-present=true;state=DELIVERED;code=2.0.0;remote=mx1.example.net;reported=true;diag=250 2.0.0 Ok: queued as 4XyZ
            rcpt=gone@example.net;notify=;orcpt=;orcpt-present=false;state=FAILED;code=5.1.1;remote=mx1.example.net;reported=false;diag=550 5.1.1 <gone@example.net>: user unknown
            rcpt=carol@example.org;notify=FAILURE,DELAY;orcpt=;orcpt-present=false;state=PENDING;code=4.4.3;remote=;reported=false;diag=carol@example.org: directory unavailable
            end=
            """;

    @Test
    void aRecordWrittenByTheOldCodeDecodesWithEveryOutcome() throws Exception {
        QueueRecord record = QueueRecordCodec.decode(WRITTEN_BY_F5E5182.getBytes(StandardCharsets.UTF_8));
        assertThat(record.queueId()).isEqualTo("0DC4A5F1B2C00001");
        assertThat(record.attempts()).isEqualTo(2);
        assertThat(record.nextAttempt()).isEqualTo(Instant.parse("2026-11-26T14:05:00Z"));
        assertThat(record.envelope().trace().trustedNetwork()).isFalse();
        RecipientState delivered = record.recipients().get(0);
        assertThat(delivered.status()).isEqualTo(Status.DELIVERED);
        assertThat(delivered.code()).contains(EnhancedStatus.OK);
        assertThat(delivered.remoteMta()).contains("mx1.example.net");
        assertThat(delivered.reported()).isTrue();
        RecipientState failed = record.recipients().get(1);
        assertThat(failed.status()).isEqualTo(Status.FAILED);
        assertThat(failed.code()).contains(EnhancedStatus.NO_SUCH_USER);
        assertThat(failed.reported()).isFalse();
        RecipientState deferred = record.recipients().get(2);
        assertThat(deferred.status()).isEqualTo(Status.PENDING);
        assertThat(deferred.code()).contains(EnhancedStatus.DIRECTORY_UNAVAILABLE);
        assertThat(deferred.remoteMta()).isEqualTo(Optional.empty());
        assertThat(record.pending()).containsExactly(deferred);
    }

    @Test
    void thisVersionWritesTheSameFormatBack() throws Exception {
        QueueRecord record = QueueRecordCodec.decode(WRITTEN_BY_F5E5182.getBytes(StandardCharsets.UTF_8));
        String written = new String(QueueRecordCodec.encode(record), StandardCharsets.UTF_8);
        assertThat(written).isEqualTo(WRITTEN_BY_F5E5182);
    }
}
