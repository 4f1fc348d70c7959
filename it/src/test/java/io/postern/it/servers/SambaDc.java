package io.postern.it.servers;

import io.postern.it.support.ExternalProcess;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * A private Samba 4 Active Directory domain controller for integration tests (recipe:
 * real-servers.md): realm AD.EXAMPLE.TEST, NetBIOS domain ADEX, base DC=ad,DC=example,DC=test,
 * Administrator / {@code Passw0rd!Test}, simple binds allowed over plain LDAP, services limited
 * to ldap, cldap, kdc and rpc (one process, no DNS). AD's ports are fixed, so it listens on the
 * first free loopback address from 127.0.0.2. Provisioning takes 7-14 s and start 2-6 s: start
 * ONE per test class. Mutable, one owner.
 *
 * <pre>
 * try (SambaDc ad = SambaDc.start(tempDir)) {
 *     ad.load(Path.of("ldif/active-directory/sample.ldif"));
 *     connect(ad.url(), ad.bindDn(), ad.password());
 * }
 * </pre>
 */
public final class SambaDc implements AutoCloseable {
    public static final String REALM = "AD.EXAMPLE.TEST";
    public static final String DOMAIN = "ADEX";
    public static final String BASE_DN = "DC=ad,DC=example,DC=test";
    public static final String PASSWORD = "Passw0rd!Test";

    private final ExternalProcess process;
    private final Path dir;
    private final String address;

    private SambaDc(ExternalProcess process, Path dir, String address) {
        this.process = process;
        this.dir = dir;
        this.address = address;
    }

    public static SambaDc start(Path dir) throws IOException, InterruptedException {
        String address = freeLoopbackAddress();
        Files.createDirectories(dir.resolve("logs"));
        Path ad = dir.resolve("ad");
        Files.writeString(dir.resolve("empty.conf"), "");
        ExternalProcess.Result provision = ExternalProcess.run(dir, Duration.ofSeconds(120), List.of("samba-tool",
                "domain", "provision", "-s", dir.resolve("empty.conf").toString(), "--targetdir=" + ad,
                "--realm=" + REALM, "--domain=" + DOMAIN, "--server-role=dc", "--dns-backend=SAMBA_INTERNAL",
                "--use-rfc2307", "--adminpass=" + PASSWORD, "--host-name=dc1", "--host-ip=" + address,
                "--option=interfaces=" + address + "/8", "--option=bind interfaces only=yes",
                "--option=log file=" + dir.resolve("logs") + "/log.%m", "--option=dns forwarder=127.0.0.1"));
        if (provision.exitCode() != 0) {
            throw new IllegalStateException("samba-tool domain provision failed: " + provision.output());
        }
        Path smbConf = ad.resolve("etc/smb.conf");
        Path run = ad.resolve("run");
        Files.createDirectories(run);
        String conf = Files.readString(smbConf).replaceFirst("\\[global]\\n", "[global]\n"
                + "\tldap server require strong auth = no\n"
                + "\tpid directory = " + run + "\n"
                + "\tncalrpc dir = " + run.resolve("ncalrpc") + "\n"
                + "\twinbindd socket directory = " + run.resolve("winbindd") + "\n"
                + "\tntp signd socket directory = " + run.resolve("ntp_signd") + "\n"
                + "\tserver services = ldap, cldap, kdc, rpc\n");
        Files.writeString(smbConf, conf);
        ExternalProcess process = ExternalProcess.start("samba", dir, List.of("/usr/sbin/samba", "-s", smbConf.toString(),
                "-i", "-M", "single", "-d", "1"));
        SambaDc samba = new SambaDc(process, dir, address);
        try {
            process.awaitReady(Duration.ofSeconds(60), samba::answers);
        } catch (IOException | InterruptedException | RuntimeException e) {
            process.close();
            throw e;
        }
        return samba;
    }

    /** AD listens on fixed ports: take the first loopback address where 389 is free. */
    static String freeLoopbackAddress() throws IOException {
        for (int i = 2; i < 30; i++) {
            String candidate = "127.0.0." + i;
            if (free(candidate, 389) && free(candidate, 88) && free(candidate, 3268)) {
                return candidate;
            }
        }
        throw new IOException("no loopback address 127.0.0.2-29 has LDAP port 389 free");
    }

    private static boolean free(String host, int port) {
        try (ServerSocket socket = new ServerSocket()) {
            socket.bind(new InetSocketAddress(InetAddress.getByName(host), port));
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    private boolean answers() {
        try {
            return ExternalProcess.run(dir, Duration.ofSeconds(5), List.of("ldapsearch", "-x", "-H", url(), "-D", bindDn(),
                    "-w", PASSWORD, "-s", "base", "-b", BASE_DN, "1.1")).exitCode() == 0;
        } catch (IOException | RuntimeException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    /** Adds and modifies entries as Administrator over LDAP ({@code ldapmodify -a}). */
    public void load(Path ldif) throws IOException, InterruptedException {
        ExternalProcess.Result result = ExternalProcess.run(dir, Duration.ofSeconds(60), List.of("ldapmodify", "-a", "-x",
                "-H", url(), "-D", bindDn(), "-w", PASSWORD, "-f", ldif.toString()));
        if (result.exitCode() != 0) {
            throw new IllegalStateException("ldapmodify " + ldif.getFileName() + " failed: " + result.output());
        }
    }

    /** Adds, modifies, renames or deletes entries as Administrator: LDIF with changetype lines on stdin. */
    public void modify(String ldif) throws IOException, InterruptedException {
        ExternalProcess.Result result = ExternalProcess.run(dir, Duration.ofSeconds(60), ldif, List.of("ldapmodify", "-x",
                "-H", url(), "-D", bindDn(), "-w", PASSWORD));
        if (result.exitCode() != 0) {
            throw new IllegalStateException("ldapmodify failed: " + result.output());
        }
    }

    /** Creates an ordinary domain user (no group but Domain Users) with {@code samba-tool user create}. */
    public void createUser(String name, String password) throws IOException, InterruptedException {
        samba("samba-tool", "user", "create", name, password, "-s", smbConf().toString(), "-H", samLdb().toString());
    }

    /**
     * Gives {@code account} "List contents" and "Read property" on CN=Deleted Objects, with the
     * repository's script (what docs/directory.md tells administrators to run).
     */
    public void grantDeletedObjects(Path script, String account) throws IOException, InterruptedException {
        samba("/usr/bin/python3", script.toString(), smbConf().toString(), samLdb().toString(), BASE_DN, account);
    }

    private void samba(String... command) throws IOException, InterruptedException {
        ExternalProcess.Result result = ExternalProcess.run(dir, Duration.ofSeconds(60), List.of(command));
        if (result.exitCode() != 0) {
            throw new IllegalStateException(String.join(" ", command) + " failed: " + result.output());
        }
    }

    private Path smbConf() {
        return dir.resolve("ad/etc/smb.conf");
    }

    private Path samLdb() {
        return dir.resolve("ad/private/sam.ldb");
    }

    public String address() {
        return address;
    }

    public String url() {
        return "ldap://" + address;
    }

    /** The Global Catalog port (3268) of this DC. */
    public String globalCatalogUrl() {
        return "ldap://" + address + ":3268";
    }

    public String bindDn() {
        return "Administrator@" + REALM;
    }

    public String password() {
        return PASSWORD;
    }

    public String baseDn() {
        return BASE_DN;
    }

    public String log() throws IOException {
        return process.logText();
    }

    @Override
    public void close() throws InterruptedException {
        process.close();
    }
}
