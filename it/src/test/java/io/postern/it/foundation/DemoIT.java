package io.postern.it.foundation;

import static org.assertj.core.api.Assertions.assertThat;

import com.unboundid.ldap.sdk.Filter;
import com.unboundid.ldap.sdk.LDAPConnection;
import com.unboundid.ldap.sdk.SearchResult;
import com.unboundid.ldap.sdk.SearchScope;
import io.postern.it.support.ExternalProcess;
import io.postern.it.support.Loopback;
import io.postern.it.support.PosternProcess;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The demo as an operator starts it: the real jar in a child JVM, its fixed loopback ports,
 * the in-memory directory answering ldapsearch-style queries, and a clean exit 0 on SIGTERM.
 * Needs the demo's ports (2525, 2587, 2465, 2424, 2110, 2995, 9925, 9926, 10389) free.
 */
class DemoIT {
    static final List<Integer> DEMO_PORTS = List.of(2525, 2587, 2465, 2424, 2110, 2995, 9925, 9926, 10389);

    @TempDir
    Path dir;

    @Test
    void demoBindsItsPortsServesTheDirectoryAndStopsCleanly() throws Exception {
        for (int port : DEMO_PORTS) {
            assertThat(Loopback.accepts("127.0.0.1", port)).as("port %d must be free for the demo", port).isFalse();
        }
        Path home = PosternProcess.homeWithLdif(dir);
        long started = System.nanoTime();
        try (ExternalProcess demo = PosternProcess.start("demo", home, "demo", "--reset")) {
            demo.awaitReady(Duration.ofSeconds(30),
                    () -> DEMO_PORTS.stream().allMatch(port -> Loopback.accepts("127.0.0.1", port)));
            demo.awaitLog(Duration.ofSeconds(10), "Try it:");
            long readyMillis = (System.nanoTime() - started) / 1_000_000;
            System.out.println("demo ready in " + readyMillis + " ms (all " + DEMO_PORTS.size() + " ports accept)");

            try (LDAPConnection ldap = new LDAPConnection("127.0.0.1", 10389, "cn=admin,dc=example,dc=test", "admin-pw")) {
                SearchResult result = ldap.search("dc=example,dc=test", SearchScope.SUB,
                        Filter.createEqualityFilter("mail", "alice@example.test"), "mail");
                assertThat(result.getEntryCount()).isEqualTo(1);
            }
            HttpClient http = HttpClient.newHttpClient();
            HttpResponse<String> health = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:9925/healthz")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(health.statusCode()).isEqualTo(200);
            HttpResponse<String> metrics = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:9925/metrics")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(metrics.body()).contains("jvm_memory_used_bytes");
            HttpResponse<String> queue = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:9926/queue/list")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(queue.statusCode()).as(queue.body()).isEqualTo(200);
            assertThat(demo.logText()).contains("queue-api    http       http://127.0.0.1:9926/queue/ for postern queue (loopback only)")
                    .contains("loopback only; only cn=admin,dc=example,dc=test may write; nobody reads userPassword")
                    .contains("ldapsearch -x -H ldap://127.0.0.1:10389 -D 'cn=admin,dc=example,dc=test' -w admin-pw");
            assertThat(Files.exists(home.resolve("var/tls/demo-cert.pem"))).isTrue();
            assertThat(demo.logText()).contains("event=started role=all")
                    .contains("smtp=127.0.0.1:2525/starttls", "submissions=127.0.0.1:2465/implicit",
                            "pop3s=127.0.0.1:2995/implicit", "lmtp=127.0.0.1:2424/none")
                    .contains("swaks --server 127.0.0.1:2525");

            ProcessHandle.of(demo.pid()).orElseThrow().destroy();
            ProcessHandle handle = ProcessHandle.of(demo.pid()).orElse(null);
            if (handle != null) {
                handle.onExit().get(20, java.util.concurrent.TimeUnit.SECONDS);
            }
            assertThat(demo.exitCode()).isZero();
            assertThat(demo.logText()).contains("event=stopped");
        }
        for (int port : DEMO_PORTS) {
            assertThat(Loopback.accepts("127.0.0.1", port)).as("port %d released", port).isFalse();
        }
    }
}
