package io.postern.cli;

import io.postern.config.ConfigLoader;
import io.postern.config.ListenerConfig;
import io.postern.config.PosternConfig;
import io.postern.server.PosternServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code postern demo}: the whole gateway on loopback with an in-memory directory seeded from
 * {@code ldif/demo.ldif}, state under {@code var/} of the Postern checkout.
 */
@Command(name = "demo", description = "Run the demo on 127.0.0.1 with an in-memory directory (state under ./var).")
final class DemoCommand implements Callable<Integer> {
    static final String CONFIG_RESOURCE = "/io/postern/cli/demo.yaml";

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Option(names = "--reset", description = "empty var/ (queue, spools, certificate) before starting")
    boolean reset;

    @Override
    public Integer call() throws Exception {
        Path home = home();
        PosternConfig config = load(home);
        if (reset) {
            deleteTree(home.resolve("var"));
        }
        return Foreground.run(() -> PosternServer.start(config), () -> printBanner(spec.commandLine().getOut(), config));
    }

    /** The checkout the launcher runs from ({@code -Dpostern.home}), else the working directory. */
    static Path home() {
        return Path.of(System.getProperty("postern.home", ".")).toAbsolutePath().normalize();
    }

    static PosternConfig load(Path home) throws IOException {
        try (InputStream in = DemoCommand.class.getResourceAsStream(CONFIG_RESOURCE)) {
            if (in == null) {
                throw new IOException("demo configuration missing from the jar: " + CONFIG_RESOURCE);
            }
            String yaml = new String(in.readAllBytes(), StandardCharsets.UTF_8);
            return ConfigLoader.withSystemEnvironment().parse(yaml, home, "demo.yaml");
        }
    }

    private static void deleteTree(Path root) throws IOException {
        if (!Files.exists(root)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(root)) {
            for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }

    private static String reach(String address) {
        return java.net.InetAddress.ofLiteral(address).isLoopbackAddress() ? "loopback only"
                : "listening on " + address + ": reachable from the network";
    }

    private static void printBanner(PrintWriter out, PosternConfig config) {
        var embedded = config.directory().embedded().orElseThrow();
        out.println();
        out.println("Postern demo is running (Ctrl-C stops it). Domain example.test; users alice@example.test / alice-pw,");
        out.println("bob@example.test / bob-pw; info@ -> alice, team@ -> alice and bob, postmaster@ -> alice.");
        for (ListenerConfig l : config.listeners()) {
            out.printf("  %-12s %-10s %s:%d tls=%s%n", l.name(), l.kind().name().toLowerCase(java.util.Locale.ROOT),
                    l.address(), l.port(), l.tls().name().toLowerCase(java.util.Locale.ROOT));
        }
        out.printf("  %-12s %-10s http://%s:%d/metrics /healthz /readyz%n", "admin", "http", config.admin().address(),
                config.admin().port());
        var queueApi = config.admin().queueApi();
        out.printf("  %-12s %-10s http://%s:%d/queue/ for postern queue (%s)%n", "queue-api", "http", queueApi.address(),
                queueApi.port(), reach(queueApi.address()) + (queueApi.tokenRequired() ? ", bearer token" : ""));
        out.printf("  %-12s %-10s ldap://%s:%d bind DN %s password %s%n", "directory", "ldap", embedded.address(),
                embedded.port(), embedded.bindDn(), embedded.bindPassword());
        out.printf("  %-12s %-10s %s; only %s may write; nobody reads userPassword (logins bind)%n", "", "",
                reach(embedded.address()), embedded.bindDn());
        out.println("Try it:");
        out.println("  swaks --server 127.0.0.1:2525 --from bob@example.test --to alice@example.test");
        out.println("  python3 -c \"import poplib; p=poplib.POP3('127.0.0.1', 2110); p.user('alice@example.test');"
                + " p.pass_('alice-pw'); print(p.stat())\"");
        out.printf("  ldapsearch -x -H ldap://%s:%d -D '%s' -w %s -b %s '(mail=*)' mail%n", embedded.address(),
                embedded.port(), embedded.bindDn(), embedded.bindPassword(), config.directory().baseDn());
        out.flush();
    }
}
