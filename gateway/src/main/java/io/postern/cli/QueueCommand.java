package io.postern.cli;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.postern.config.ConfigException;
import io.postern.config.ConfigLoader;
import io.postern.config.PosternConfig;
import io.postern.config.QueueConfig;
import io.postern.mail.MailAddress;
import io.postern.queue.MailQueue;
import io.postern.queue.QueueAdminApi;
import io.postern.queue.QueueId;
import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

/**
 * {@code postern queue}: mailq / postqueue / postsuper for Postern. Talks to a running node through
 * its queue API ({@code --admin}, or {@code admin.queueApi} in {@code --config}), sending the bearer
 * token from {@code --token-file} or from the configuration when one is set; with
 * {@code --queue-dir}, or {@code --config} when the node is not running, works on the stopped
 * node's queue directory itself (refused while a node holds it). Queue ids are checked before
 * they go into a URL or a file name. Exit codes: 0 done, 1 not found / busy / unreachable, 2 usage,
 * 3 work left ({@code drain} timed out, {@code import} left files behind).
 */
@Command(name = "queue", description = "List and manage the queue of a running or stopped node.",
        subcommands = {QueueCommand.ListCommand.class, QueueCommand.ShowCommand.class, QueueCommand.FlushCommand.class,
                QueueCommand.HoldCommand.class, QueueCommand.ReleaseCommand.class, QueueCommand.DeleteCommand.class,
                QueueCommand.BounceCommand.class, QueueDrainCommand.class, QueueImportCommand.class})
final class QueueCommand implements Runnable {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Option(names = "--queue-dir", paramLabel = "DIR", scope = CommandLine.ScopeType.INHERIT,
            description = "work offline on this queue directory of a stopped node")
    Path queueDir;

    @Option(names = "--config", paramLabel = "FILE", scope = CommandLine.ScopeType.INHERIT,
            description = "the node's configuration: its admin endpoint, or its queue directory when it is stopped")
    Path configFile;

    @Option(names = "--admin", paramLabel = "HOST:PORT", scope = CommandLine.ScopeType.INHERIT,
            description = "the running node's queue API (default " + DEFAULT_ENDPOINT + ")")
    String admin;

    @Option(names = "--token-file", paramLabel = "FILE", scope = CommandLine.ScopeType.INHERIT,
            description = "file holding the queue API's bearer token (admin.queueApi.token); with --config, the configured token is used")
    Path tokenFile;

    static final String DEFAULT_ENDPOINT = "127.0.0.1:" + io.postern.config.QueueApiConfig.DEFAULT_PORT;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    /** A running node's queue API: endpoint and token, from --config or --admin and --token-file. */
    record Endpoint(String address, String token) {
        QueueAdminApi.Reply send(String method, String path) throws IOException, InterruptedException {
            return online(address, token, method, path);
        }
    }

    Endpoint endpoint() {
        if (configFile != null) {
            PosternConfig config = ConfigLoader.withSystemEnvironment().load(configFile);
            var api = config.admin().queueApi();
            if (!config.admin().enabled() || !api.enabled()) {
                throw new ConfigException("--config: admin.queueApi is off in " + configFile
                        + "; the node cannot be asked to drain");
            }
            String host = api.connectAddress();
            return new Endpoint((host.contains(":") ? "[" + host + "]" : host) + ":" + api.port(),
                    tokenFile != null ? readToken(tokenFile) : api.token());
        }
        return new Endpoint(admin == null ? DEFAULT_ENDPOINT : admin, tokenFile == null ? "" : readToken(tokenFile));
    }

    /** Sends one request and prints the answer; returns the exit code. */
    int call(CommandLine.Model.CommandSpec sub, String method, String path) throws Exception {
        QueueAdminApi.Reply reply;
        if (queueDir != null) {
            reply = offline(new QueueConfig(queueDir, Duration.ofDays(5)), localHost(), method, path);
        } else if (configFile != null) {
            PosternConfig config = ConfigLoader.withSystemEnvironment().load(configFile);
            var api = config.admin().queueApi();
            String host = api.connectAddress();
            String endpoint = (host.contains(":") ? "[" + host + "]" : host) + ":" + api.port();
            String token = tokenFile != null ? readToken(tokenFile) : api.token();
            try {
                reply = config.admin().enabled() && api.enabled() ? online(endpoint, token, method, path) : null;
            } catch (ConnectException e) {
                reply = null; // not running: the offline path checks the queue's lock
            }
            if (reply == null) {
                reply = offline(config.queue(), config.node().hostname(), method, path);
            }
        } else {
            reply = online(admin == null ? DEFAULT_ENDPOINT : admin, tokenFile == null ? "" : readToken(tokenFile), method,
                    path);
        }
        (reply.status() / 100 == 2 ? sub.commandLine().getOut() : sub.commandLine().getErr()).print(reply.body());
        sub.commandLine().getOut().flush();
        return reply.status() / 100 == 2 ? Main.EXIT_OK : Main.EXIT_RUNTIME;
    }

    private static QueueAdminApi.Reply offline(QueueConfig config, String hostname, String method, String path)
            throws IOException {
        MailAddress postmaster = MailAddress.parse("postmaster@" + hostname)
                .orElse(new MailAddress("postmaster", hostname));
        int q = path.indexOf('?');
        try (MailQueue queue = MailQueue.openOffline(config, hostname, postmaster, new SimpleMeterRegistry())) {
            return queue.adminApi().handle(method, q < 0 ? path : path.substring(0, q), q < 0 ? null : path.substring(q + 1));
        }
    }

    /** The token file's content without its trailing newline, like {@code ${file:}} in the configuration. */
    static String readToken(Path file) {
        try {
            return java.nio.file.Files.readString(file).strip();
        } catch (IOException e) {
            throw new ConfigException("--token-file: cannot read " + file + " (" + e.getClass().getSimpleName() + ")");
        }
    }

    static QueueAdminApi.Reply online(String endpoint, String token, String method, String path)
            throws IOException, InterruptedException {
        if (!endpoint.matches("[0-9A-Za-z.:\\[\\]-]+:\\d{1,5}")) {
            throw new ConfigException("--admin: '" + endpoint + "' is not HOST:PORT");
        }
        try (HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build()) {
            HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://" + endpoint + path))
                    .timeout(Duration.ofSeconds(60));
            if (!token.isEmpty()) {
                request.header("Authorization", "Bearer " + token);
            }
            request = method.equals("GET") ? request.GET()
                    : request.header("X-Postern-Admin", "cli").POST(HttpRequest.BodyPublishers.noBody());
            HttpResponse<String> response = client.send(request.build(), HttpResponse.BodyHandlers.ofString());
            return new QueueAdminApi.Reply(response.statusCode(), response.body());
        }
    }

    private static String localHost() {
        try {
            return java.net.InetAddress.getLocalHost().getCanonicalHostName();
        } catch (java.net.UnknownHostException e) {
            return "localhost";
        }
    }

    /** A queue id argument; anything else is a usage error before it reaches a path. */
    static String checkedId(String id) {
        if (!QueueId.isValid(id)) {
            throw new ConfigException("'" + id.replaceAll("\\p{Cntrl}", "?") + "' is not a queue id (16 hex digits)");
        }
        return id;
    }

    abstract static class Sub implements Callable<Integer> {
        @ParentCommand
        QueueCommand parent;

        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;
    }

    abstract static class OnOne extends Sub {
        @Parameters(paramLabel = "ID", description = "the queue id")
        String id;

        abstract String verb();

        @Override
        public Integer call() throws Exception {
            return parent.call(spec, "POST", "/queue/" + verb() + "/" + checkedId(id));
        }
    }

    @Command(name = "list", description = "List the messages in the queue (like mailq).")
    static final class ListCommand extends Sub {
        @Option(names = "--limit", paramLabel = "N", description = "at most N messages (default 10000)")
        int limit = QueueAdminApi.DEFAULT_LIST_LIMIT;

        @Override
        public Integer call() throws Exception {
            if (limit < 1) {
                throw new ConfigException("--limit: must be at least 1");
            }
            return parent.call(spec, "GET", "/queue/list?limit=" + limit);
        }
    }

    @Command(name = "show", description = "Show the envelope and per-recipient state of one message (never its body).")
    static final class ShowCommand extends Sub {
        @Parameters(paramLabel = "ID", description = "the queue id")
        String id;

        @Override
        public Integer call() throws Exception {
            return parent.call(spec, "GET", "/queue/show/" + checkedId(id));
        }
    }

    @Command(name = "flush", description = "Try every message now and forget destination backoffs.")
    static final class FlushCommand extends Sub {
        @Override
        public Integer call() throws Exception {
            return parent.call(spec, "POST", "/queue/flush");
        }
    }

    @Command(name = "hold", description = "Put a message on hold: it is not tried until released.")
    static final class HoldCommand extends OnOne {
        @Override
        String verb() {
            return "hold";
        }
    }

    @Command(name = "release", description = "Release a held message; it is tried at once.")
    static final class ReleaseCommand extends OnOne {
        @Override
        String verb() {
            return "release";
        }
    }

    @Command(name = "delete", description = "Delete a message without notifying anyone.")
    static final class DeleteCommand extends OnOne {
        @Override
        String verb() {
            return "delete";
        }
    }

    @Command(name = "bounce", description = "Return a message to its sender now (a DSN like any failure).")
    static final class BounceCommand extends OnOne {
        @Override
        String verb() {
            return "bounce";
        }
    }
}
