package io.postern.config;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * One named milter (mail filter) Postern asks before it answers DATA/BDAT. Immutable.
 *
 * <p>{@code address} is {@code inet:host:port} or {@code unix:/path}, as Postfix writes it. Each
 * phase has its own deadline: connecting, each command before the message body, and the wait
 * for the end-of-message reply (filters scan there; a progress reply restarts it).
 * {@code defaultAction} is what a message gets when the milter is down, slow or speaks nonsense.
 * After {@code failureThreshold} failures in a row the circuit opens: messages get the default
 * action at once, and one probe is let through every {@code retryAfter}. {@code macros}
 * overrides the macro names sent per stage (keys: connect, helo, mail, rcpt, data, eoh, eom).
 */
public record MilterConfig(String name, MilterAddress address, Duration connectTimeout, Duration commandTimeout,
                           Duration endOfMessageTimeout, MilterDefaultAction defaultAction, int failureThreshold,
                           Duration retryAfter, int maxIdleConnections, Map<String, List<String>> macros) {
    public static final Duration DEFAULT_CONNECT_TIMEOUT = Duration.ofSeconds(5);
    public static final Duration DEFAULT_COMMAND_TIMEOUT = Duration.ofSeconds(10);
    public static final Duration DEFAULT_END_OF_MESSAGE_TIMEOUT = Duration.ofSeconds(60);
    public static final int DEFAULT_FAILURE_THRESHOLD = 5;
    public static final Duration DEFAULT_RETRY_AFTER = Duration.ofSeconds(30);
    public static final int DEFAULT_MAX_IDLE_CONNECTIONS = 8;
    static final List<String> STAGES = List.of("connect", "helo", "mail", "rcpt", "data", "eoh", "eom");

    public MilterConfig {
        Objects.requireNonNull(name);
        Objects.requireNonNull(address);
        Objects.requireNonNull(connectTimeout);
        Objects.requireNonNull(commandTimeout);
        Objects.requireNonNull(endOfMessageTimeout);
        Objects.requireNonNull(defaultAction);
        Objects.requireNonNull(retryAfter);
        if (failureThreshold < 1 || maxIdleConnections < 0) {
            throw new IllegalArgumentException("failureThreshold must be >= 1 and maxIdleConnections >= 0");
        }
        Map<String, List<String>> copy = new TreeMap<>();
        macros.forEach((stage, names) -> copy.put(stage, List.copyOf(names)));
        macros = Map.copyOf(copy);
    }

    /** A milter with every default: tempfail when it fails. */
    public static MilterConfig of(String name, MilterAddress address) {
        return new MilterConfig(name, address, DEFAULT_CONNECT_TIMEOUT, DEFAULT_COMMAND_TIMEOUT,
                DEFAULT_END_OF_MESSAGE_TIMEOUT, MilterDefaultAction.TEMPFAIL, DEFAULT_FAILURE_THRESHOLD,
                DEFAULT_RETRY_AFTER, DEFAULT_MAX_IDLE_CONNECTIONS, Map.of());
    }

    public MilterConfig withTimeouts(Duration connect, Duration command, Duration endOfMessage) {
        return new MilterConfig(name, address, connect, command, endOfMessage, defaultAction, failureThreshold,
                retryAfter, maxIdleConnections, macros);
    }

    public MilterConfig withDefaultAction(MilterDefaultAction action) {
        return new MilterConfig(name, address, connectTimeout, commandTimeout, endOfMessageTimeout, action,
                failureThreshold, retryAfter, maxIdleConnections, macros);
    }

    public MilterConfig withBreaker(int threshold, Duration retry) {
        return new MilterConfig(name, address, connectTimeout, commandTimeout, endOfMessageTimeout, defaultAction,
                threshold, retry, maxIdleConnections, macros);
    }

    static MilterConfig from(ConfigNode node) {
        String name = node.string("name", "");
        if (!node.has("name")) {
            node.error("name", "is required (listeners refer to milters by name)");
        } else if (!name.matches("[A-Za-z0-9][A-Za-z0-9_.-]{0,62}")) {
            node.error("name", "'" + name + "' is not a name (letters, digits, '.', '_', '-')");
        }
        MilterAddress address = new MilterAddress.Inet("127.0.0.1", 1);
        if (!node.has("address")) {
            node.error("address", "is required (inet:host:port or unix:/path)");
        } else {
            String text = node.string("address", "");
            try {
                address = MilterAddress.parse(text);
            } catch (IllegalArgumentException e) {
                node.error("address", e.getMessage());
            }
        }
        Duration connect = positive(node, "connectTimeout", DEFAULT_CONNECT_TIMEOUT);
        Duration command = positive(node, "commandTimeout", DEFAULT_COMMAND_TIMEOUT);
        Duration eom = positive(node, "endOfMessageTimeout", DEFAULT_END_OF_MESSAGE_TIMEOUT);
        MilterDefaultAction action = node.enumValue("defaultAction", MilterDefaultAction.class,
                MilterDefaultAction.TEMPFAIL);
        int threshold = node.integer("failureThreshold", DEFAULT_FAILURE_THRESHOLD, 1, 1000);
        Duration retry = positive(node, "retryAfter", DEFAULT_RETRY_AFTER);
        int idle = node.integer("maxIdleConnections", DEFAULT_MAX_IDLE_CONNECTIONS, 0, 1000);
        ConfigNode macroNode = node.section("macros");
        Map<String, List<String>> macros = new TreeMap<>();
        for (String stage : STAGES) {
            if (macroNode.has(stage)) {
                macros.put(stage, macroNode.strings(stage, List.of()));
            }
        }
        return new MilterConfig(name, address, connect, command, eom, action, threshold, retry, idle, macros);
    }

    private static Duration positive(ConfigNode node, String key, Duration fallback) {
        Duration value = node.duration(key, fallback);
        if (value.isZero() || value.isNegative()) {
            node.error(key, "must be longer than 0");
            return fallback;
        }
        return value;
    }
}
