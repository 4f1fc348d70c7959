package io.postern.it.directory;

import io.postern.directory.Login;
import io.postern.directory.ldap.LdapDirectory;
import io.postern.it.servers.Slapd;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;

/**
 * How long a login takes for an unknown user and for a known user with a wrong password, against
 * a private slapd with the sample data (issue 19, item 9: the two must not be told apart by
 * time). Not a test: timings are printed, never asserted. The two kinds alternate so that drift
 * on a shared machine hits both alike; a warm-up (JIT, pools) is not counted.
 *
 * <pre>scripts/bench-login-timing.sh [attempts]</pre>
 */
public final class LoginTimingBenchmark {
    private LoginTimingBenchmark() {
    }

    public static void main(String[] args) throws Exception {
        int attempts = args.length > 0 ? Integer.parseInt(args[0]) : 500;
        Path dir = Files.createTempDirectory("login-timing");
        try (Slapd slapd = Slapd.start(dir.resolve("slapd"), DirectoryItSupport.repo("ldif/openldap/sample.ldif"));
             LdapDirectory directory = DirectoryItSupport.connect(SlapdDirectoryIT.yaml(slapd))) {
            measure(directory, attempts / 2, false);
            long[][] times = measure(directory, attempts, true);
            System.out.printf(Locale.ROOT, "attempts per kind: %d%n", attempts);
            System.out.printf(Locale.ROOT, "unknown login      median %.2f ms  p90 %.2f ms%n", median(times[0]), p90(times[0]));
            System.out.printf(Locale.ROOT, "wrong password     median %.2f ms  p90 %.2f ms%n", median(times[1]), p90(times[1]));
        }
    }

    private static long[][] measure(LdapDirectory directory, int attempts, boolean check) {
        long[] unknown = new long[attempts];
        long[] wrong = new long[attempts];
        for (int i = 0; i < attempts; i++) {
            long start = System.nanoTime();
            Login a = directory.authenticate("nobody" + i + "@example.test", "guess-" + i);
            unknown[i] = System.nanoTime() - start;
            start = System.nanoTime();
            Login b = directory.authenticate("alice@example.test", "guess-" + i);
            wrong[i] = System.nanoTime() - start;
            if (check && (!(a instanceof Login.Failed) || !(b instanceof Login.Failed))) {
                throw new IllegalStateException("expected two failures, got " + a + " and " + b);
            }
        }
        return new long[][] {unknown, wrong};
    }

    private static double median(long[] nanos) {
        long[] sorted = nanos.clone();
        Arrays.sort(sorted);
        return sorted[sorted.length / 2] / 1e6;
    }

    private static double p90(long[] nanos) {
        long[] sorted = nanos.clone();
        Arrays.sort(sorted);
        return sorted[(int) (sorted.length * 0.9)] / 1e6;
    }
}
