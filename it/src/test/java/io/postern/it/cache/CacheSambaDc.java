package io.postern.it.cache;

import io.postern.it.support.ExternalProcess;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * A private Samba 4 AD domain controller (real-servers.md) on its own loopback address
 * ({@link #ADDRESS}, so that it does not meet the directory suite's DC on 127.0.0.2), services
 * ldap only. Minimal on purpose: replace with the directory suite's SambaDc harness once both
 * are merged. Mutable, one owner.
 */
final class CacheSambaDc implements AutoCloseable {
    static final String ADDRESS = "127.0.0.33";
    static final String REALM = "AD.EXAMPLE.TEST";
    static final String BASE = "DC=ad,DC=example,DC=test";
    static final String ADMIN = "Administrator@" + REALM;
    static final String PASSWORD = "Passw0rd!Test";

    private final Path dir;
    private final ExternalProcess process;

    private CacheSambaDc(Path dir, ExternalProcess process) {
        this.dir = dir;
        this.process = process;
    }

    static CacheSambaDc start(Path dir) throws Exception {
        Files.createDirectories(dir.resolve("logs"));
        Files.createDirectories(dir.resolve("run"));
        Files.writeString(dir.resolve("empty.conf"), "");
        check(ExternalProcess.run(dir, Duration.ofSeconds(120), List.of("samba-tool", "domain", "provision",
                "-s", dir.resolve("empty.conf").toString(), "--targetdir=" + dir.resolve("ad"),
                "--realm=" + REALM, "--domain=ADEX", "--server-role=dc", "--dns-backend=SAMBA_INTERNAL",
                "--use-rfc2307", "--adminpass=" + PASSWORD, "--host-name=dc1", "--host-ip=" + ADDRESS,
                "--option=interfaces=" + ADDRESS + "/8", "--option=bind interfaces only=yes",
                "--option=log file=" + dir.resolve("logs") + "/log.%m", "--option=dns forwarder=127.0.0.1")));
        Path smbConf = dir.resolve("ad/etc/smb.conf");
        String conf = Files.readString(smbConf).replace("[global]", """
                [global]
                	ldap server require strong auth = no
                	server services = ldap, cldap, rpc
                	pid directory = %1$s/run
                	ncalrpc dir = %1$s/run/ncalrpc
                	winbindd socket directory = %1$s/run/winbindd
                	ntp signd socket directory = %1$s/run/ntp_signd
                """.formatted(dir).stripTrailing());
        Files.writeString(smbConf, conf);
        ExternalProcess process = ExternalProcess.start("samba", dir, List.of("samba", "-s", smbConf.toString(), "-i",
                "-M", "single", "-d", "1"));
        CacheSambaDc dc = new CacheSambaDc(dir, process);
        process.awaitReady(Duration.ofSeconds(60), () -> {
            try {
                return ExternalProcess.run(dir, Duration.ofSeconds(5), List.of("ldapsearch", "-x", "-H", url(), "-D",
                        ADMIN, "-w", PASSWORD, "-s", "base", "-b", BASE, "dn")).exitCode() == 0;
            } catch (Exception e) {
                return false;
            }
        });
        return dc;
    }

    static String url() {
        return "ldap://" + ADDRESS;
    }

    void modify(String ldif) throws Exception {
        check(ExternalProcess.run(dir, Duration.ofSeconds(20), ldif, List.of("ldapmodify", "-x", "-H", url(), "-D",
                ADMIN, "-w", PASSWORD)));
    }

    private static void check(ExternalProcess.Result result) {
        if (result.exitCode() != 0) {
            throw new IllegalStateException("exit " + result.exitCode() + ": " + result.output());
        }
    }

    @Override
    public void close() throws InterruptedException {
        process.close();
    }
}
