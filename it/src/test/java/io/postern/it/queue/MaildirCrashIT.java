package io.postern.it.queue;

import static org.assertj.core.api.Assertions.assertThat;

import io.postern.it.support.ExternalProcess;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Exactly-once into real Maildirs (and mbox files): {@code kill -9} of a real JVM whose queue delivers through the
 * real routing agent and MDA, under load and then twice while draining, then a restart that
 * drains. Counting the files in every Maildir: each acknowledged message is there exactly once
 * per mailbox (one recipient is an alias of two mailboxes, one is in another domain, so one
 * message takes two agent calls), and nothing that was not acknowledged-or-committing is there.
 */
class MaildirCrashIT {
    private static final Pattern SEQ = Pattern.compile("X-Seq: (\\d+)");

    @TempDir
    Path work;

    /** Whether the child delivers all-local messages before acknowledging them (crash.direct). */
    private boolean direct;

    private ExternalProcess child(String format, String name, String... args) throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> command = new ArrayList<>(List.of(java, "-Xmx256m", "--enable-native-access=ALL-UNNAMED",
                "-Dcrash.format=" + format,
                "-Dcrash.untracked=" + System.getProperty("crash.untracked", "false"),
                "-Dcrash.direct=" + direct, "-cp",
                System.getProperty("java.class.path"), MaildirCrashChild.class.getName()));
        command.addAll(List.of(args));
        return ExternalProcess.start(name, work, command);
    }

    private static long envelopes(Path queue) throws IOException {
        try (var files = Files.list(queue.resolve("messages"))) {
            return files.filter(p -> p.toString().endsWith(".env")).count();
        }
    }

    private static long count(ExternalProcess p, String prefix) throws IOException {
        return p.logText().lines().filter(l -> l.startsWith(prefix)).count();
    }

    @Test
    void everyAcknowledgedMessageIsInEveryMaildirExactlyOnceAfterKills() throws Exception {
        run("MAILDIR", 600, 2);
    }

    @Test
    void everyAcknowledgedMessageIsInEveryMboxExactlyOnceAfterKills() throws Exception {
        run("MBOX", 300, 1);
    }

    /** Role all: messages delivered before their acknowledgement, the rest (a crash's leftovers) queued. */
    @Test
    void deliveredBeforeTheReplyEveryAcknowledgedMessageIsInEveryMaildirExactlyOnceAfterKills() throws Exception {
        direct = true;
        run("MAILDIR", 600, 2);
    }

    private void run(String format, int minAcked, int drainKills) throws Exception {
        Path queue = work.resolve("queue");
        Path spool = work.resolve("spool");
        long started = System.nanoTime();

        ExternalProcess load = child(format, "accept", "accept", queue.toString(), spool.toString(), "20000", "16");
        load.awaitReady(Duration.ofSeconds(60), () -> {
            try {
                return count(load, "ACK ") >= minAcked && Files.exists(spool.resolve("example.test/u0"));
            } catch (IOException e) {
                return false;
            }
        });
        load.kill(); // SIGKILL while accepting and delivering
        String acceptLog = load.logText();
        assertThat(acceptLog).doesNotContain("ALL-ACKED");
        if (format.equals("MAILDIR") && Set.of("ext4", "xfs", "btrfs").contains(Files.getFileStore(work).type())) {
            // The default spool.sync (auto) shares syncfs calls here: these kills test that mode.
            assertThat(acceptLog).contains("event=spool-sync mode=filesystem");
        }

        StringBuilder drainLogs = new StringBuilder();
        for (int i = 1; i <= drainKills; i++) {
            long waiting = envelopes(queue);
            ExternalProcess drain = child(format, "drain" + i, "drain", queue.toString(), spool.toString());
            // Killed once it has delivered part of the backlog (not after a guessed time): mid-delivery.
            drain.awaitReady(Duration.ofSeconds(120), () -> {
                try {
                    return envelopes(queue) <= waiting - 20 || drain.logText().contains("DRAINED");
                } catch (IOException e) {
                    return false;
                }
            });
            drain.kill(); // SIGKILL again while delivering
            drainLogs.append(drain.logText());
        }
        ExternalProcess last = child(format, "drain-last", "drain", queue.toString(), spool.toString());
        last.awaitReady(Duration.ofSeconds(60), () -> {
            try {
                return last.logText().contains("AVOIDED");
            } catch (IOException e) {
                return false;
            }
        });
        assertThat(last.logText()).contains("DRAINED").doesNotContain("NOT-DRAINED");
        last.close();

        Set<String> acked = new HashSet<>();
        Set<String> begun = new HashSet<>();
        Set<String> aborted = new HashSet<>();
        for (String line : acceptLog.lines().toList()) {
            String[] f = line.split(" ");
            switch (f[0]) {
                case "ACK" -> acked.add(f[1]);
                case "BEGIN" -> begun.add(f[1]);
                case "ABORTED" -> aborted.add(f[1]);
                default -> { }
            }
        }
        Map<String, Integer> copies = new HashMap<>();
        long files = 0;
        for (String mailbox : MaildirCrashChild.MAILBOXES) {
            String[] parts = mailbox.split("@");
            Path maildir = spool.resolve(parts[1]).resolve(parts[0]);
            if (format.equals("MBOX")) {
                for (String line : Files.readAllLines(maildir, StandardCharsets.ISO_8859_1)) {
                    Matcher m = SEQ.matcher(line);
                    if (line.startsWith("X-Seq: ") && m.find()) {
                        copies.merge(m.group(1) + " " + mailbox, 1, Integer::sum);
                        files++;
                    }
                }
                continue;
            }
            for (String sub : List.of("new", "cur")) {
                try (Stream<Path> s = Files.list(maildir.resolve(sub))) {
                    for (Path file : s.toList()) {
                        copies.merge(seq(file) + " " + mailbox, 1, Integer::sum);
                        files++;
                    }
                }
            }
        }
        long duplicates = copies.values().stream().filter(c -> c > 1).count();
        System.out.printf("%s crash test: acked=%d begun-not-acked=%d aborted=%d files=%d duplicates=%d"
                        + " %s elapsed=%ds%n", format, acked.size(), begun.size() - acked.size(), aborted.size(), files,
                duplicates, last.logText().lines().filter(l -> l.startsWith("AVOIDED")).findFirst().orElse(""),
                Duration.ofNanos(System.nanoTime() - started).toSeconds());

        assertThat(acked).hasSizeGreaterThanOrEqualTo(minAcked);
        for (String n : acked) {
            for (String mailbox : MaildirCrashChild.MAILBOXES) {
                assertThat(copies.get(n + " " + mailbox)).as("message %s in %s", n, mailbox).isEqualTo(1);
            }
        }
        for (Map.Entry<String, Integer> e : copies.entrySet()) {
            String n = e.getKey().split(" ")[0];
            assertThat(begun).as("delivered %s was never committed", e.getKey()).contains(n);
            assertThat(aborted).doesNotContain(n);
            assertThat(e.getValue()).as(e.getKey()).isEqualTo(1);
        }
        try (Stream<Path> s = Files.list(queue.resolve("messages"))) {
            assertThat(s.toList()).isEmpty();
        }
    }

    private static String seq(Path file) throws IOException {
        try (InputStream in = Files.newInputStream(file)) {
            Matcher m = SEQ.matcher(new String(in.readNBytes(300), StandardCharsets.US_ASCII));
            return m.find() ? m.group(1) : "?";
        }
    }
}
