package io.postern.cli;

import io.postern.config.ConfigException;
import io.postern.config.ConfigLoader;
import io.postern.config.PosternConfig;
import io.postern.config.Role;
import io.postern.queue.QueueAdminApi;
import io.postern.queue.QueueBacklog;
import io.postern.server.PosternServer;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

/**
 * {@code postern queue drain}: a running node stops accepting, fails its readiness and keeps
 * delivering; the command waits until its queue is empty and no session is open (exit 0), or
 * until {@code --timeout} and reports what is left (count, oldest, recipients per destination;
 * exit 3). With {@code --queue-dir DIR} and {@code --config}, this process instead delivers the
 * stopped node's queue directory DIR with the configuration's delivery settings (no listeners)
 * until it is empty: the hand-over of a queue whose node is gone.
 */
@Command(name = "drain", description = "Stop a running node accepting and wait until its queue is empty;"
        + " with --queue-dir, deliver a stopped node's queue directory until it is empty.")
final class QueueDrainCommand implements Callable<Integer> {
    private static final Pattern MESSAGES = Pattern.compile("(?m)^messages: (\\d+)$");
    private static final Pattern SESSIONS = Pattern.compile("(?m)^open-sessions: (\\d+)$");

    @ParentCommand
    QueueCommand parent;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Option(names = "--timeout", paramLabel = "DURATION", description = "give up after this long and report what is"
            + " left, exit 3 (default 5m; 30s, 2m, 1h)")
    String timeout = "5m";

    @Option(names = "--role", paramLabel = "ROLE", description = "with --queue-dir: front or all (overrides node.role,"
            + " as serve --role does)")
    String role;

    @Option(names = "--interval", paramLabel = "DURATION", description = "how often to look (default 1s)")
    String interval = "1s";

    @Override
    public Integer call() throws Exception {
        Duration limit = duration("--timeout", timeout);
        Duration every = duration("--interval", interval);
        if (every.isZero()) {
            throw new ConfigException("--interval: must be more than 0");
        }
        return parent.queueDir != null ? serveForeign(limit, every) : drainRunning(limit, every);
    }

    private int drainRunning(Duration limit, Duration every) throws Exception {
        QueueCommand.Endpoint node = parent.endpoint();
        QueueAdminApi.Reply reply = node.send("POST", "/queue/drain");
        if (reply.status() / 100 != 2) {
            spec.commandLine().getErr().print(reply.body());
            return Main.EXIT_RUNTIME;
        }
        long deadline = System.nanoTime() + limit.toNanos();
        while (true) {
            if (number(MESSAGES, reply.body()) == 0 && number(SESSIONS, reply.body()) == 0) {
                return done(reply.body());
            }
            if (System.nanoTime() - deadline >= 0) {
                return left(limit, reply.body());
            }
            Thread.sleep(every.toMillis());
            reply = node.send("GET", "/queue/drain");
            if (reply.status() != 200) {
                spec.commandLine().getErr().print(reply.body());
                return Main.EXIT_RUNTIME;
            }
        }
    }

    private int serveForeign(Duration limit, Duration every) throws Exception {
        if (parent.configFile == null) {
            throw new ConfigException("--queue-dir with drain needs --config: the delivery settings to deliver it with");
        }
        PosternConfig config = ConfigLoader.withSystemEnvironment().load(parent.configFile);
        if (role != null) {
            config = ServeCommand.RoleOption.apply(config, role);
        }
        if (config.node().role() == Role.DELIVERY) {
            throw new ConfigException("--config: a delivery node keeps no queue; use the front's configuration");
        }
        Path dir = parent.queueDir;
        if (!java.nio.file.Files.isDirectory(dir.resolve("messages"))) {
            throw new ConfigException("--queue-dir: " + dir + " is not a queue directory (no messages/)");
        }
        long deadline = System.nanoTime() + limit.toNanos();
        try (PosternServer server = PosternServer.start(config.servingOnly(dir))) {
            server.queue().orElseThrow().recovered().get();
            while (true) {
                QueueBacklog backlog = QueueBacklog.scan(dir);
                if (backlog.messages() == 0) {
                    return done(backlog.text());
                }
                if (System.nanoTime() - deadline >= 0) {
                    return left(limit, backlog.text());
                }
                Thread.sleep(every.toMillis());
            }
        }
    }

    private int done(String status) {
        PrintWriter out = spec.commandLine().getOut();
        out.print("drained\n" + status);
        out.flush();
        return Main.EXIT_OK;
    }

    private int left(Duration limit, String status) {
        PrintWriter out = spec.commandLine().getOut();
        out.print("not drained after " + limit + "; left:\n" + status);
        out.flush();
        return Main.EXIT_INCOMPLETE;
    }

    private static long number(Pattern pattern, String body) {
        Matcher m = pattern.matcher(body);
        return m.find() ? Long.parseLong(m.group(1)) : -1;
    }

    private static Duration duration(String option, String text) {
        Matcher m = Pattern.compile("(\\d{1,9})(ms|s|m|h)").matcher(text);
        if (!m.matches()) {
            throw new ConfigException(option + ": '" + text.replaceAll("\\p{Cntrl}", "?")
                    + "' is not a duration (30s, 2m, 1h)");
        }
        long n = Long.parseLong(m.group(1));
        return switch (m.group(2)) {
            case "ms" -> Duration.ofMillis(n);
            case "s" -> Duration.ofSeconds(n);
            case "m" -> Duration.ofMinutes(n);
            default -> Duration.ofHours(n);
        };
    }
}
