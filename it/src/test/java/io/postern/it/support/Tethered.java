package io.postern.it.support;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * A daemon command that stops by itself: a small shell watchdog runs it, sends it SIGTERM as
 * soon as the JVM that started it is gone, and {@code timeout} ends it after {@code lifetime} at
 * the latest, so a crashed or killed test run leaves no filter behind on the shared machine.
 * (Not {@code setpriv --pdeathsig}: that fires when the starting thread ends, and a JVM thread
 * pool retires idle threads.) SIGTERM to the watchdog is passed on to the daemon.
 */
public final class Tethered {
    private static final String WATCHDOG = """
            "$@" & child=$!
            trap 'kill -TERM $child 2>/dev/null; wait $child; exit 0' TERM INT
            while kill -0 $child 2>/dev/null; do
              kill -0 %d 2>/dev/null || { kill -TERM $child; wait $child; exit 0; }
              sleep 1 & wait $!
            done
            wait $child
            """;

    private Tethered() {
    }

    public static List<String> command(Duration lifetime, List<String> daemon) {
        List<String> out = new ArrayList<>(List.of("sh", "-c", WATCHDOG.formatted(ProcessHandle.current().pid()), "tethered",
                "timeout", "-s", "TERM", Long.toString(lifetime.toSeconds())));
        out.addAll(daemon);
        return out;
    }
}
