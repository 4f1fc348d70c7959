package io.postern.it.smtp;

import static org.assertj.core.api.Assertions.assertThat;

import io.postern.it.support.ExternalProcess;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Python's smtplib (a second, independent client implementation) against Postern. */
class PythonSmtplibIT {
    @TempDir
    Path dir;

    private static final String SCRIPT = """
            import smtplib, ssl, sys
            from email.message import EmailMessage
            port, sub = int(sys.argv[1]), int(sys.argv[2])
            ctx = ssl.create_default_context(); ctx.check_hostname = False; ctx.verify_mode = ssl.CERT_NONE
            with smtplib.SMTP("127.0.0.1", port, local_hostname="py.test", timeout=10) as s:
                s.ehlo("py.test")
                assert s.has_extn("pipelining") and s.has_extn("chunking") and s.has_extn("smtputf8"), s.esmtp_features
                s.starttls(context=ctx); s.ehlo("py.test")
                m = EmailMessage(); m["Subject"] = "smtplib-mx"; m["From"] = "p@remote.test"; m["To"] = "bob@example.com"
                m.set_content("line one\\n.dot line\\n")
                refused = s.send_message(m, from_addr="p@remote.test", to_addrs=["bob@example.com"])
                assert refused == {}, refused
                try:
                    s.sendmail("p@remote.test", ["nobody@example.com"], "Subject: x\\r\\n\\r\\nx\\r\\n")
                    print("UNEXPECTED-ACCEPT")
                except smtplib.SMTPRecipientsRefused as e:
                    print("REFUSED", e.recipients["nobody@example.com"][0])
            with smtplib.SMTP("127.0.0.1", sub, local_hostname="py.test", timeout=10) as s:
                s.starttls(context=ctx); s.ehlo("py.test")
                try:
                    s.login("alice", "nope")
                except smtplib.SMTPAuthenticationError as e:
                    print("AUTHFAIL", e.smtp_code)
                s.login("alice", "secret")
                code, _ = s.docmd("MAIL FROM:<bob@example.com>")
                print("NOTOWNED", code)
                s.rset()
                s.sendmail("alice@example.com", ["someone@other.test"], "Subject: smtplib-sub\\r\\n\\r\\nhi\\r\\n")
                print("SUBMITTED")
            """;

    @Test
    void smtplibSendsOverStartTlsAndSubmission() throws Exception {
        try (SmtpItNode node = new SmtpItNode(dir.resolve("node"), "")) {
            Path script = Files.writeString(dir.resolve("client.py"), SCRIPT);
            ExternalProcess.Result r = ExternalProcess.run(dir, Duration.ofSeconds(60), List.of("python3",
                    script.toString(), String.valueOf(node.mxPort), String.valueOf(node.submissionPort)));
            assertThat(r.exitCode()).as(r.output()).isZero();
            assertThat(r.output()).contains("REFUSED 550").contains("AUTHFAIL 535").contains("NOTOWNED 553")
                    .contains("SUBMITTED").doesNotContain("UNEXPECTED");
            List<Path> accepted = node.accepted();
            assertThat(accepted).hasSize(2);
            assertThat(Files.readString(accepted.get(0))).contains("Subject: smtplib-mx")
                    .contains("line one\r\n.dot line\r\n");
            assertThat(Files.readString(accepted.get(1))).contains("Subject: smtplib-sub").contains("Date: ");
            assertThat(node.envelopes.get(1).trace().authenticatedUser()).contains("alice");
        }
    }
}
