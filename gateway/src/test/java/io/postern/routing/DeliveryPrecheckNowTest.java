package io.postern.routing;

import static io.postern.testing.MapDirectory.addr;
import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.postern.config.CacheConfig;
import io.postern.config.DeliveryConfig;
import io.postern.config.SpoolConfig;
import io.postern.config.SpoolFormat;
import io.postern.delivery.LocalDelivery;
import io.postern.directory.Recipient;
import io.postern.directory.cache.CachingDirectory;
import io.postern.mail.DeliveryForecast.Verdict;
import io.postern.testing.MapDirectory;
import java.nio.file.Path;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The forecast's verdicts told at once (for a session's event loop): only from directory answers
 * in memory and never when a spool must be read; the same verdicts as asked off the loop.
 */
class DeliveryPrecheckNowTest {
    @TempDir
    Path base;

    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    private final MapDirectory ldap = new MapDirectory("example.test").mailboxes("alice@example.test");
    private final CachingDirectory cache = CachingDirectory.wrap(ldap, CacheConfig.defaults(), registry);

    @AfterEach
    void close() {
        cache.close();
    }

    private DeliveryPrecheck precheck(io.postern.directory.Directory directory) {
        LocalDelivery mda = new LocalDelivery(new SpoolConfig(base.resolve("spool"), SpoolFormat.MAILDIR,
                "{domain}/{localpart}"), "node-a", registry);
        return new DeliveryPrecheck(directory, DeliveryConfig.defaults(base.resolve("tmp")), Optional.of(mda));
    }

    @Test
    void toldAtOnceOnlyOnceTheDirectoryAnswersAreInMemory() {
        DeliveryPrecheck precheck = precheck(cache);
        assertThat(precheck.atRecipientNow(addr("alice@example.test"), Optional.empty(), Optional.empty(), 0))
                .as("never asked: off the loop").isEmpty();

        assertThat(precheck.atRecipient(addr("alice@example.test"), Optional.empty(), Optional.empty(), 0))
                .isEqualTo(Verdict.DELIVERABLE);

        assertThat(precheck.atRecipientNow(addr("alice@example.test"), Optional.empty(), Optional.empty(), 0))
                .contains(Verdict.DELIVERABLE);
        assertThat(precheck.atEndOfDataNow(addr("alice@example.test"), Optional.empty(), Optional.empty(), 100,
                Set.of("alice@example.test"))).contains(Verdict.LOOP);
    }

    @Test
    void aMailboxWithAQuotaIsForecastOffTheLoop() {
        ldap.put(new Recipient.Mailbox(addr("full@example.test"), "uid=full", Optional.empty(), OptionalLong.of(5),
                false));
        DeliveryPrecheck precheck = precheck(cache);
        assertThat(precheck.atRecipient(addr("full@example.test"), Optional.empty(), Optional.empty(), 0))
                .isEqualTo(Verdict.MAILBOX_FULL);

        assertThat(precheck.atRecipientNow(addr("full@example.test"), Optional.empty(), Optional.empty(), 0))
                .as("its spool must be read").isEmpty();
    }

    @Test
    void aDirectoryWithoutMemoryTellsNothingAtOnce() {
        DeliveryPrecheck precheck = precheck(ldap);
        precheck.atRecipient(addr("alice@example.test"), Optional.empty(), Optional.empty(), 0);

        assertThat(precheck.atRecipientNow(addr("alice@example.test"), Optional.empty(), Optional.empty(), 0))
                .isEmpty();
    }
}
