package io.postern.it.servers;

import io.postern.it.support.ExternalProcess;
import io.postern.it.support.Ports;
import java.io.IOException;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * A private OpenLDAP slapd on 127.0.0.1 for integration tests (recipe: real-servers.md): mdb
 * database under {@code dir}, seeded offline with {@code slapadd}, core/cosine/inetOrgPerson/nis
 * plus Postern's schema, root DN {@code cn=admin,<suffix>} / {@code admin-pw}. Ready in about half
 * a second; readiness is checked on this instance's own ldapi socket. Mutable, one owner.
 *
 * <pre>
 * try (Slapd ldap = Slapd.start(tempDir, Path.of("ldif/openldap/sample.ldif"))) {
 *     connect(ldap.url(), ldap.bindDn(), ldap.password());
 * }
 * </pre>
 */
public final class Slapd implements AutoCloseable {
    public static final String SUFFIX = "dc=example,dc=test";
    public static final String PASSWORD = "admin-pw";

    /** How Postern's schema gets into slapd: the cn=config LDIF (slapd -F), or the .schema file included by slapd.conf (slapd -f). */
    public enum SchemaForm { CN_CONFIG_LDIF, SCHEMA_FILE }

    /** TLS for {@link #startWithTls}: a certificate and key in PEM, and the port of ldaps://. */
    public record Tls(Path certificate, Path privateKey, int ldapsPort) {
    }

    private final ExternalProcess process;
    private final Path dir;
    private final int port;
    private final String suffix;
    private final int ldapsPort;

    private Slapd(ExternalProcess process, Path dir, int port, String suffix, int ldapsPort) {
        this.process = process;
        this.dir = dir;
        this.port = port;
        this.suffix = suffix;
        this.ldapsPort = ldapsPort;
    }

    /** Like {@link #start(Path, Path)}, also serving ldaps:// and StartTLS with the given certificate. */
    public static Slapd startWithTls(Path dir, Path ldif, Tls tls) throws IOException, InterruptedException {
        return start(dir, ldif, SchemaForm.CN_CONFIG_LDIF, SUFFIX, Ports.free(), tls);
    }

    /** slapd with suffix dc=example,dc=test, Postern's schema from its cn=config LDIF, data from {@code ldif}. */
    public static Slapd start(Path dir, Path ldif) throws IOException, InterruptedException {
        return start(dir, ldif, SchemaForm.CN_CONFIG_LDIF, SUFFIX, Ports.free());
    }

    /**
     * slapd with suffix dc=example,dc=test whose schema also has {@code extraSchemas} (cn=config
     * LDIF files such as /etc/ldap/schema/misc.ldif): a site's own mail schema next to Postern's.
     */
    public static Slapd startWithSchemas(Path dir, Path ldif, List<Path> extraSchemas)
            throws IOException, InterruptedException {
        return start(dir, ldif, SchemaForm.CN_CONFIG_LDIF, SUFFIX, Ports.free(), null, extraSchemas);
    }

    public static Slapd start(Path dir, Path ldif, SchemaForm form) throws IOException, InterruptedException {
        return start(dir, ldif, form, SUFFIX, Ports.free());
    }

    public static Slapd start(Path dir, Path ldif, SchemaForm form, String suffix, int port)
            throws IOException, InterruptedException {
        return start(dir, ldif, form, suffix, port, null);
    }

    private static Slapd start(Path dir, Path ldif, SchemaForm form, String suffix, int port, Tls tls)
            throws IOException, InterruptedException {
        return start(dir, ldif, form, suffix, port, tls, List.of());
    }

    private static Slapd start(Path dir, Path ldif, SchemaForm form, String suffix, int port, Tls tls,
            List<Path> extraSchemas) throws IOException, InterruptedException {
        Files.createDirectories(dir.resolve("slapd.d"));
        Files.createDirectories(dir.resolve("data"));
        Files.createDirectories(dir.resolve("run"));
        Path schemaDir = home().resolve("directory-schema/src/main/schema");
        Duration step = Duration.ofSeconds(30);
        if (form == SchemaForm.CN_CONFIG_LDIF) {
            String config = configLdif(dir, suffix, schemaDir.resolve("postern.ldif"));
            for (Path schema : extraSchemas) {
                config = config.replace("include: file://" + schemaDir.resolve("postern.ldif").toAbsolutePath() + "\n",
                        "include: file://" + schemaDir.resolve("postern.ldif").toAbsolutePath() + "\n\ninclude: file://"
                                + schema.toAbsolutePath() + "\n");
            }
            if (tls != null) {
                config = config.replace("olcLogLevel: none\n", "olcLogLevel: none\nolcTLSCertificateFile: "
                        + tls.certificate().toAbsolutePath() + "\nolcTLSCertificateKeyFile: " + tls.privateKey().toAbsolutePath()
                        + "\n");
            }
            Files.writeString(dir.resolve("slapd.ldif"), config);
            check(ExternalProcess.run(dir, step, List.of("/usr/sbin/slapadd", "-n0", "-F", dir.resolve("slapd.d").toString(),
                    "-l", dir.resolve("slapd.ldif").toString())), "slapadd -n0");
        } else {
            Files.writeString(dir.resolve("slapd.conf"), slapdConf(dir, suffix, schemaDir.resolve("postern.schema")));
            check(ExternalProcess.run(dir, step, List.of("/usr/sbin/slaptest", "-u", "-f", dir.resolve("slapd.conf").toString())),
                    "slaptest -f slapd.conf");
        }
        // The .schema form runs from slapd.conf (-f), the LDIF form from cn=config (-F).
        List<String> configOption = form == SchemaForm.CN_CONFIG_LDIF
                ? List.of("-F", dir.resolve("slapd.d").toString()) : List.of("-f", dir.resolve("slapd.conf").toString());
        List<String> slapadd = new java.util.ArrayList<>(List.of("/usr/sbin/slapadd", "-q", "-n1"));
        slapadd.addAll(configOption);
        slapadd.addAll(List.of("-l", ldif.toString()));
        check(ExternalProcess.run(dir, step, slapadd), "slapadd -n1 " + ldif.getFileName());
        List<String> daemon = new java.util.ArrayList<>(List.of("/usr/sbin/slapd", "-d", "0"));
        daemon.addAll(configOption);
        daemon.addAll(List.of("-h", "ldap://127.0.0.1:" + port + "/ " + ldapi(dir)
                + (tls == null ? "" : " ldaps://127.0.0.1:" + tls.ldapsPort() + "/")));
        ExternalProcess process = ExternalProcess.start("slapd", dir, daemon);
        Slapd slapd = new Slapd(process, dir, port, suffix, tls == null ? -1 : tls.ldapsPort());
        try {
            process.awaitReady(Duration.ofSeconds(15), slapd::answersOnOwnSocket);
        } catch (IOException | InterruptedException | RuntimeException e) {
            process.close();
            throw e;
        }
        return slapd;
    }

    /** The Postern checkout (failsafe sets postern.home; else the working directory's parent). */
    public static Path home() {
        String home = System.getProperty("postern.home");
        return home != null ? Path.of(home) : Path.of("..").toAbsolutePath().normalize();
    }

    public String url() {
        return "ldap://127.0.0.1:" + port;
    }

    /** ldaps://127.0.0.1:PORT when started with TLS. */
    public String ldapsUrl() {
        return "ldaps://127.0.0.1:" + ldapsPort;
    }

    public int port() {
        return port;
    }

    public String suffix() {
        return suffix;
    }

    public String bindDn() {
        return "cn=admin," + suffix;
    }

    public String password() {
        return PASSWORD;
    }

    public boolean isAlive() {
        return process.isAlive();
    }

    /** Runs ldapmodify (adds allowed) as the root DN over ldapi. */
    public ExternalProcess.Result modify(String ldif) throws IOException, InterruptedException {
        return ExternalProcess.run(dir, Duration.ofSeconds(20), ldif, List.of("ldapmodify", "-a", "-x", "-H", ldapi(dir),
                "-D", bindDn(), "-w", PASSWORD));
    }

    private boolean answersOnOwnSocket() {
        try {
            return ExternalProcess.run(dir, Duration.ofSeconds(5), List.of("ldapsearch", "-x", "-H", ldapi(dir),
                    "-D", bindDn(), "-w", PASSWORD, "-s", "base", "-b", suffix, "1.1")).exitCode() == 0;
        } catch (IOException | RuntimeException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    private static String ldapi(Path dir) {
        return "ldapi://" + URLEncoder.encode(dir.resolve("run/ldapi").toAbsolutePath().toString(), StandardCharsets.UTF_8);
    }

    private static void check(ExternalProcess.Result result, String what) {
        if (result.exitCode() != 0) {
            throw new IllegalStateException(what + " failed (" + result.exitCode() + "): " + result.output());
        }
    }

    /** The cn=config of a private slapd (mdb, syncprov, Postern's schema); root DN cn=admin,SUFFIX / admin-pw. */
    public static String configLdif(Path dir, String suffix, Path posternLdif) {
        return """
                dn: cn=config
                objectClass: olcGlobal
                cn: config
                olcPidFile: @DIR@/run/slapd.pid
                olcLogLevel: none

                dn: cn=module{0},cn=config
                objectClass: olcModuleList
                cn: module{0}
                olcModulePath: /usr/lib/ldap
                olcModuleLoad: back_mdb
                olcModuleLoad: syncprov

                dn: cn=schema,cn=config
                objectClass: olcSchemaConfig
                cn: schema

                include: file:///etc/ldap/schema/core.ldif

                include: file:///etc/ldap/schema/cosine.ldif

                include: file:///etc/ldap/schema/inetorgperson.ldif

                include: file:///etc/ldap/schema/nis.ldif

                include: file://@POSTERN@

                dn: olcDatabase={-1}frontend,cn=config
                objectClass: olcDatabaseConfig
                objectClass: olcFrontendConfig
                olcDatabase: {-1}frontend
                olcSizeLimit: unlimited

                dn: olcDatabase={1}mdb,cn=config
                objectClass: olcDatabaseConfig
                objectClass: olcMdbConfig
                olcDatabase: {1}mdb
                olcSuffix: @SUFFIX@
                olcRootDN: cn=admin,@SUFFIX@
                olcRootPW: admin-pw
                olcDbDirectory: @DIR@/data
                olcDbMaxSize: 1073741824
                olcDbNoSync: TRUE
                olcDbIndex: objectClass eq
                olcDbIndex: entryCSN,entryUUID eq
                olcDbIndex: uid,mail,posternAlternateAddress eq
                olcAccess: to attrs=userPassword by self write by anonymous auth by * none
                olcAccess: to * by * read

                dn: olcOverlay={0}syncprov,olcDatabase={1}mdb,cn=config
                objectClass: olcOverlayConfig
                objectClass: olcSyncProvConfig
                olcOverlay: {0}syncprov
                olcSpCheckpoint: 100 10
                olcSpSessionlog: 1000
                """.replace("@DIR@", dir.toAbsolutePath().toString()).replace("@SUFFIX@", suffix)
                .replace("@POSTERN@", posternLdif.toAbsolutePath().toString());
    }

    static String slapdConf(Path dir, String suffix, Path posternSchema) {
        return """
                include /etc/ldap/schema/core.schema
                include /etc/ldap/schema/cosine.schema
                include /etc/ldap/schema/inetorgperson.schema
                include /etc/ldap/schema/nis.schema
                include @POSTERN@
                pidfile @DIR@/run/slapd.pid
                loglevel none
                sizelimit unlimited
                modulepath /usr/lib/ldap
                moduleload back_mdb
                database mdb
                suffix "@SUFFIX@"
                rootdn "cn=admin,@SUFFIX@"
                rootpw admin-pw
                directory @DIR@/data
                maxsize 1073741824
                dbnosync
                index objectClass eq
                index uid,mail,posternAlternateAddress eq
                access to attrs=userPassword by self write by anonymous auth by * none
                access to * by * read
                """.replace("@DIR@", dir.toAbsolutePath().toString()).replace("@SUFFIX@", suffix)
                .replace("@POSTERN@", posternSchema.toAbsolutePath().toString());
    }

    /** SIGTERM (about 2 s), for failover tests; {@link #close()} afterwards is harmless. */
    public void stop() throws InterruptedException {
        process.close();
    }

    public String log() throws IOException {
        return process.logText();
    }

    @Override
    public void close() throws InterruptedException {
        process.close();
    }
}
