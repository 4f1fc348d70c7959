package io.postern.sasl;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.RemovalCause;
import com.github.benmanes.caffeine.cache.Ticker;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.postern.config.LoginThrottleConfig;
import io.postern.observability.LogLine;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one login throttle of a node, shared by SMTP AUTH (MX and submission) and POP3. Failures
 * are counted per (client network, login) and per client network, each count decaying with the
 * time constant {@code window} (docs/security.md explains why decay and not a fixed window):
 *
 * <ul>
 * <li>{@code maxFailuresPerLogin} failures of one login from one network refuse that login from
 *     that network (a typo-er behind a NAT locks out only themselves);</li>
 * <li>from {@code delayAfterFailures} failures of a network on, every answer to it is delayed,
 *     doubling per failure up to {@code maxDelay};</li>
 * <li>only {@code maxFailuresPerNetwork} failures refuse every login from the network.</li>
 * </ul>
 *
 * <p>Check and count are one step: {@link #admit} reserves the attempt as a failure-to-be before
 * the password is checked, and the caller settles it afterwards, so N parallel sessions get at
 * most the remaining guesses, not N. A reservation must be settled exactly once (extra calls are
 * ignored). Memory is bounded by Caffeine ({@code maxTracked} entries per kind, forgotten after
 * four windows without use). Starts and ends of limits are logged ({@code event=login-throttle-start}
 * / {@code -end}) and counted ({@code postern.auth.throttle.*}); nothing here logs a password.
 *
 * <p>Thread-safe: every count changes under this object's monitor (a login attempt is rare next
 * to the work it triggers, so one lock is cheap and makes the two counts move together).
 */
public final class LoginThrottle {
    private static final Logger LOG = LoggerFactory.getLogger(LoginThrottle.class);
    /** How far below a limit a decayed count must fall to free the next attempt (a full limit never decays to exactly limit-1). */
    private static final double SLACK = 0.05;
    private static final long NONE = Long.MIN_VALUE;
    private static final int MAX_LOGIN_KEY = 320;

    /** The limits of the policy; the tag values of the meters. */
    public enum Limit { LOGIN, DELAY, NETWORK }

    /** What to do with one login attempt. A closed set. */
    public sealed interface Admission {
        /** Check the credentials after {@code delay}, then settle {@code attempt}. */
        record Proceed(Attempt attempt, Duration delay) implements Admission {
        }

        /** This login has failed too often from this network: refuse it unchecked, after {@code delay}. */
        record LoginLocked(Duration delay) implements Admission {
        }

        /** The network has failed too often: refuse and close (421 4.7.0 / -ERR [SYS/TEMP]). */
        record NetworkRefused() implements Admission {
        }
    }

    private record LoginKey(String network, String login) {
    }

    /** A decaying count of failures plus the attempts reserved and not yet settled. Guarded by the throttle. */
    private final class Count {
        final String network;
        final Optional<String> login;
        double weight;
        long at;
        int pending;
        final Map<Limit, Long> since = new EnumMap<>(Limit.class);

        Count(String network, Optional<String> login, long now) {
            this.network = network;
            this.login = login;
            this.at = now;
        }

        double decayed(long now) {
            if (now > at) {
                weight *= Math.exp(-(now - at) / tau);
                at = now;
            }
            return weight;
        }
    }

    /** One reserved attempt. Settle it once: {@link #succeeded}, {@link #failed} or {@link #abandoned}. Thread-safe. */
    public final class Attempt {
        private final Count network;
        private final Count login;
        private boolean settled;

        private Attempt(Count network, Count login) {
            this.network = network;
            this.login = login;
        }

        /** The password was right: the reservation is dropped and this login's count from this network cleared. */
        public void succeeded() {
            settle(Outcome.SUCCEEDED);
        }

        /** The password was wrong, the user unknown or disabled: the reservation becomes a failure. */
        public void failed() {
            settle(Outcome.FAILED);
        }

        /** Nothing was learnt (directory unavailable, session gone): the reservation is dropped. */
        public void abandoned() {
            settle(Outcome.ABANDONED);
        }

        private void settle(Outcome outcome) {
            synchronized (LoginThrottle.this) {
                if (settled) {
                    return;
                }
                settled = true;
                network.pending--;
                login.pending--;
                long now = ticker.read();
                switch (outcome) {
                    case FAILED -> {
                        network.weight = network.decayed(now) + 1;
                        login.weight = login.decayed(now) + 1;
                        review(network, now);
                        review(login, now);
                    }
                    case SUCCEEDED -> {
                        login.weight = 0;
                        login.at = now;
                        review(login, now);
                    }
                    case ABANDONED -> {
                    }
                }
            }
        }
    }

    private enum Outcome { SUCCEEDED, FAILED, ABANDONED }

    private final LoginThrottleConfig config;
    private final Ticker ticker;
    private final double tau;
    private final Cache<String, Count> networks;
    private final Cache<LoginKey, Count> logins;
    private final Map<Limit, int[]> active = new EnumMap<>(Limit.class);
    private final Map<Limit, Counter> started = new EnumMap<>(Limit.class);
    private final Map<Limit, Counter> refused = new EnumMap<>(Limit.class);
    private final Timer delays;

    public LoginThrottle(LoginThrottleConfig config, MeterRegistry registry) {
        this(config, registry, Ticker.systemTicker());
    }

    /** With another time source (tests). */
    public LoginThrottle(LoginThrottleConfig config, MeterRegistry registry, Ticker ticker) {
        this.config = config;
        this.ticker = ticker;
        this.tau = config.window().toNanos();
        Duration forget = config.window().multipliedBy(4);
        // Maintenance runs on the calling thread, which holds this object's monitor: the removal
        // listener may touch the counts.
        this.networks = Caffeine.newBuilder().maximumSize(config.maxTracked()).expireAfterAccess(forget)
                .ticker(ticker).executor(Runnable::run)
                .removalListener((String k, Count c, RemovalCause cause) -> forgotten(c, cause)).build();
        this.logins = Caffeine.newBuilder().maximumSize(config.maxTracked()).expireAfterAccess(forget)
                .ticker(ticker).executor(Runnable::run)
                .removalListener((LoginKey k, Count c, RemovalCause cause) -> forgotten(c, cause)).build();
        for (Limit limit : Limit.values()) {
            String tag = tag(limit);
            int[] gauge = new int[1];
            active.put(limit, gauge);
            Gauge.builder("postern.auth.throttle.active", this, t -> t.activeCount(limit)).tag("limit", tag)
                    .description("Login limits in force now, by kind").register(registry);
            started.put(limit, Counter.builder("postern.auth.throttle.started").tag("limit", tag)
                    .description("Login limits that came into force, by kind").register(registry));
        }
        refused.put(Limit.LOGIN, Counter.builder("postern.auth.throttle.refused").tag("limit", tag(Limit.LOGIN))
                .description("Login attempts refused unchecked, by limit").register(registry));
        refused.put(Limit.NETWORK, Counter.builder("postern.auth.throttle.refused").tag("limit", tag(Limit.NETWORK))
                .description("Login attempts refused unchecked, by limit").register(registry));
        this.delays = Timer.builder("postern.auth.throttle.delays")
                .description("Delays imposed on login answers to networks with many failures").register(registry);
        Gauge.builder("postern.auth.throttle.tracked", networks, Cache::estimatedSize).tag("key", "network")
                .description("Networks whose failures are remembered").register(registry);
        Gauge.builder("postern.auth.throttle.tracked", logins, Cache::estimatedSize).tag("key", "login")
                .description("(network, login) pairs whose failures are remembered").register(registry);
    }

    /**
     * Decides about one attempt of {@code login} from {@code client} and, when it may go on,
     * reserves it. Never blocks: the delay is for the caller to schedule.
     */
    public synchronized Admission admit(InetAddress client, String login) {
        long now = ticker.read();
        String networkKey = network(client);
        Count network = networks.get(networkKey, k -> new Count(k, Optional.empty(), now));
        double fromNetwork = network.decayed(now) + network.pending;
        review(network, now);
        if (fromNetwork > config.maxFailuresPerNetwork() - 1 + SLACK) {
            refused.get(Limit.NETWORK).increment();
            return new Admission.NetworkRefused();
        }
        String loginKey = loginKey(login);
        Count user = logins.get(new LoginKey(networkKey, loginKey), k -> new Count(networkKey, Optional.of(loginKey), now));
        double forLogin = user.decayed(now) + user.pending;
        review(user, now);
        Duration delay = delay(fromNetwork);
        if (!delay.isZero()) {
            delays.record(delay);
        }
        if (forLogin > config.maxFailuresPerLogin() - 1 + SLACK) {
            refused.get(Limit.LOGIN).increment();
            return new Admission.LoginLocked(delay);
        }
        network.pending++;
        user.pending++;
        return new Admission.Proceed(new Attempt(network, user), delay);
    }

    /**
     * Ends the limits whose counts have decayed below them (logged and counted). Cheap enough to
     * run every few seconds; the server does, and tests call it after moving their clock.
     */
    public synchronized void sweep() {
        long now = ticker.read();
        networks.cleanUp();
        logins.cleanUp();
        for (Count c : networks.asMap().values()) {
            c.decayed(now);
            review(c, now);
        }
        for (Count c : logins.asMap().values()) {
            c.decayed(now);
            review(c, now);
        }
    }

    /** The network a client address belongs to, as logged: {@code 2001:db8:1:2:0:0:0:0/64}, {@code 192.0.2.7/32}. */
    public String network(InetAddress client) {
        byte[] bytes = client.getAddress();
        if (bytes.length == 16 && mappedIpv4(bytes)) {
            // ::ffff:a.b.c.d from a dual-stack socket is an IPv4 client.
            bytes = Arrays.copyOfRange(bytes, 12, 16);
        }
        int prefix = bytes.length == 4 ? config.ipv4Prefix() : config.ipv6Prefix();
        for (int bit = prefix; bit < bytes.length * 8; bit++) {
            bytes[bit / 8] &= (byte) ~(0x80 >>> (bit % 8));
        }
        try {
            return InetAddress.getByAddress(bytes).getHostAddress() + "/" + prefix;
        } catch (UnknownHostException e) {
            throw new IllegalStateException("4 or 16 bytes are an address", e);
        }
    }

    private static boolean mappedIpv4(byte[] bytes) {
        for (int i = 0; i < 10; i++) {
            if (bytes[i] != 0) {
                return false;
            }
        }
        return bytes[10] == (byte) 0xff && bytes[11] == (byte) 0xff;
    }

    private static String loginKey(String login) {
        String key = login.strip().toLowerCase(Locale.ROOT);
        return key.length() > MAX_LOGIN_KEY ? key.substring(0, MAX_LOGIN_KEY) : key;
    }

    private Duration delay(double failures) {
        double excess = failures - (config.delayAfterFailures() - 1) - SLACK;
        if (excess <= 0 || config.maxDelay().isZero()) {
            return Duration.ZERO;
        }
        int doublings = Math.min(30, (int) Math.ceil(excess) - 1);
        long nanos = config.initialDelay().toNanos() << doublings;
        return nanos <= 0 || nanos > config.maxDelay().toNanos() ? config.maxDelay() : Duration.ofNanos(nanos);
    }

    /** Starts or ends the limits of one count from its decayed weight (without reservations). */
    private void review(Count c, long now) {
        if (c.login.isPresent()) {
            review(c, Limit.LOGIN, config.maxFailuresPerLogin() - 1 + SLACK, now);
        } else {
            review(c, Limit.DELAY, config.delayAfterFailures() - 1 + SLACK, now);
            review(c, Limit.NETWORK, config.maxFailuresPerNetwork() - 1 + SLACK, now);
        }
    }

    private void review(Count c, Limit limit, double threshold, long now) {
        boolean over = c.weight > threshold;
        Long since = c.since.getOrDefault(limit, NONE);
        if (over && since == NONE) {
            c.since.put(limit, now);
            active.get(limit)[0]++;
            started.get(limit).increment();
            log("login-throttle-start", c, limit).add("failures", Math.round(c.weight)).info(LOG);
        } else if (!over && since != NONE) {
            // When the count crossed the threshold, not when we noticed.
            long crossed = c.weight <= 0 ? now
                    : Math.min(now, c.at + (long) (tau * Math.log(c.weight / threshold)));
            end(c, limit, Math.max(since, crossed));
        }
    }

    private void end(Count c, Limit limit, long at) {
        long since = c.since.remove(limit);
        active.get(limit)[0]--;
        log("login-throttle-end", c, limit).seconds("duration", since, at).info(LOG);
    }

    private void forgotten(Count c, RemovalCause cause) {
        if (cause == RemovalCause.EXPIRED || cause == RemovalCause.SIZE || cause == RemovalCause.COLLECTED) {
            for (Limit limit : Limit.values()) {
                if (c.since.containsKey(limit)) {
                    end(c, limit, ticker.read());
                }
            }
        }
    }

    private static LogLine log(String event, Count c, Limit limit) {
        LogLine line = LogLine.event(event).add("limit", tag(limit)).add("network", c.network);
        c.login.ifPresent(l -> line.add("login", l));
        return line;
    }

    private synchronized int activeCount(Limit limit) {
        return active.get(limit)[0];
    }

    private static String tag(Limit limit) {
        return limit.name().toLowerCase(Locale.ROOT);
    }
}
