package io.postern.directory.ldap;

import static org.assertj.core.api.Assertions.assertThat;

import io.postern.config.PosternConfig;
import io.postern.directory.Login;
import io.postern.directory.Lookup;
import io.postern.directory.Recipient;
import io.postern.mail.MailAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Many threads at once, more than either pool holds: every answer stays right, and user binds on
 * the shared bind pool never leak one user's identity into another's login.
 */
class LdapDirectoryConcurrencyTest {

    @Test
    void parallelLookupsAndLoginsStayCorrect() throws Exception {
        try (InMemoryDirectory ldap = InMemoryDirectory.openldap("openldap/sample.ldif")) {
            PosternConfig config = ldap.openldapConfig("searchPoolSize: 3\nbindPoolSize: 2");
            try (LdapDirectory directory = LdapDirectory.connect(config.directory(), config.domains())) {
                ExecutorService pool = Executors.newFixedThreadPool(16);
                List<Future<String>> results = new ArrayList<>();
                long start = System.nanoTime();
                for (int t = 0; t < 16; t++) {
                    int id = t;
                    results.add(pool.submit(() -> {
                        for (int i = 0; i < 100; i++) {
                            String user = (id + i) % 2 == 0 ? "alice" : "erin";
                            Login right = directory.authenticate(user, user + "-pw");
                            if (!(right instanceof Login.Succeeded s) || !s.identity().dn().startsWith("uid=" + user + ",")) {
                                return "login " + user + " -> " + right;
                            }
                            Login wrong = directory.authenticate(user, "nope");
                            if (!(wrong instanceof Login.Failed)) {
                                return "wrong password for " + user + " -> " + wrong;
                            }
                            Lookup<Recipient> info = directory.resolve(MailAddress.parse("info@example.test").orElseThrow());
                            if (!(info instanceof Lookup.Found<Recipient> f) || !(f.value() instanceof Recipient.Alias)) {
                                return "info -> " + info;
                            }
                        }
                        return "ok";
                    }));
                }
                for (Future<String> result : results) {
                    assertThat(result.get(60, TimeUnit.SECONDS)).isEqualTo("ok");
                }
                pool.shutdown();
                long millis = (System.nanoTime() - start) / 1_000_000;
                System.out.printf("directory: 4800 operations (1600 logins, 1600 refused, 1600 lookups) on 16 threads in %d ms%n",
                        millis);
            }
        }
    }
}
