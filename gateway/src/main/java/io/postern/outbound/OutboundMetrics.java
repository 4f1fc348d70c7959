package io.postern.outbound;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.postern.mail.DeliveryResult;
import java.time.Duration;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Outbound meters: {@code postern.outbound.deliveries} (protocol, result), {@code
 * postern.outbound.connections} (protocol, outcome: opened, reused, refused, failed) and {@code
 * postern.outbound.transaction} latency per destination. Destinations are MX domains, so their
 * tag is capped at {@link #MAX_DESTINATION_TAGS} distinct values (then "other"): a spam run to
 * random domains must not grow the registry without bound. Thread-safe.
 */
final class OutboundMetrics {
    static final int MAX_DESTINATION_TAGS = 200;

    private final MeterRegistry registry;
    private final Set<String> destinations = ConcurrentHashMap.newKeySet();

    OutboundMetrics(MeterRegistry registry) {
        this.registry = registry;
    }

    void result(SmtpClient.Protocol protocol, DeliveryResult result) {
        Counter.builder("postern.outbound.deliveries")
                .description("Recipients handled by outbound delivery, by result")
                .tag("protocol", name(protocol))
                .tag("result", result.label())
                .register(registry).increment();
    }

    void connection(SmtpClient.Protocol protocol, String outcome) {
        Counter.builder("postern.outbound.connections")
                .description("Outbound sessions opened, reused, refused by the server, or failed")
                .tag("protocol", name(protocol))
                .tag("outcome", outcome)
                .register(registry).increment();
    }

    void transaction(SmtpClient.Protocol protocol, String destination, Duration elapsed) {
        String tag = destination;
        if (!destinations.contains(tag)) {
            tag = destinations.size() < MAX_DESTINATION_TAGS && destinations.add(tag) ? tag : "other";
        }
        Timer.builder("postern.outbound.transaction")
                .description("Time to send one message to one destination (session setup included)")
                .tag("protocol", name(protocol))
                .tag("destination", tag)
                .register(registry).record(elapsed);
    }

    private static String name(SmtpClient.Protocol protocol) {
        return protocol.name().toLowerCase(Locale.ROOT);
    }
}
