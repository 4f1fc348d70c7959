package io.postern.cli;

import io.postern.directory.Lookup;
import io.postern.directory.Recipient;
import io.postern.directory.ldap.DirectoryTrace;
import io.postern.mail.MailAddress;
import java.io.PrintWriter;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;

/**
 * {@code postern lookup --config FILE ADDRESS}: what the directory says about an address and how
 * it got there: profile, servers, each filter sent with its base and entry count, the
 * alias/group expansion tree, the decision and the final mailboxes. Exit 0 when the address
 * receives mail, 1 when it is unknown, 75 when the directory could not answer, 2 on bad usage.
 * The directory is asked directly (no cache).
 */
@Command(name = "lookup", description = "Explain what the directory says about an address (like postmap -q, with the reasons).")
final class LookupCommand implements Callable<Integer> {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Mixin
    DirectoryCommandSupport support;

    @Parameters(paramLabel = "ADDRESS", description = "the address to look up, like info@example.test")
    String address;

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        Optional<MailAddress> parsed = MailAddress.parse(address);
        if (parsed.isEmpty()) {
            spec.commandLine().getErr().println("postern: '" + address + "' is not an address Postern accepts");
            return Main.EXIT_USAGE;
        }
        try (DirectoryCommandSupport.Session session = support.open(spec.commandLine())) {
            var directory = session.directory();
            out.println("profile:  " + directory.profileName());
            out.println("servers:  " + directory.servers());
            out.println("cache:    not used (lookup asks the directory directly)");
            DirectoryTrace trace = DirectoryTrace.recording();
            Lookup<Boolean> local = directory.isLocalDomain(parsed.get().domain(), trace);
            Lookup<Recipient> answer = directory.resolve(parsed.get(), trace);
            out.println("steps:");
            trace.lines().forEach(line -> out.println("  " + line));
            String domainText = switch (local) {
                case Lookup.Found<Boolean> f -> f.value() ? "local" : "not local (mail to it is relayed, not delivered)";
                case Lookup.TempFail<Boolean> t -> "unknown (" + t.reason() + ")";
            };
            out.println("domain:   " + parsed.get().domain() + " is " + domainText);
            return switch (answer) {
                case Lookup.TempFail<Recipient> t -> {
                    out.println("decision: try again later (451 4.4.3): " + t.reason());
                    yield DirectoryCommandSupport.EXIT_TEMPFAIL;
                }
                case Lookup.Found<Recipient> f -> {
                    Recipient recipient = f.value();
                    out.println("decision: " + describe(recipient));
                    if (recipient instanceof Recipient.Unknown) {
                        yield Main.EXIT_RUNTIME;
                    }
                    List<String> finals = directory.finalMailboxes(recipient, DirectoryTrace.off(), 0);
                    out.println("mailboxes: " + (finals.isEmpty() ? "(none)" : String.join(", ", finals)));
                    yield Main.EXIT_OK;
                }
            };
        } finally {
            out.flush();
        }
    }

    private static String describe(Recipient recipient) {
        return switch (recipient) {
            case Recipient.Mailbox m -> "mailbox " + m.address() + " (" + m.dn() + ")"
                    + (m.disabled() ? " DISABLED: mail is refused with 550 5.2.1" : "")
                    + m.spool().map(s -> "; spool " + s).orElse("")
                    + (m.quotaBytes().isPresent() ? "; quota " + m.quotaBytes().getAsLong() + " bytes" : "");
            case Recipient.Alias a -> "alias " + a.address() + " -> " + a.targets();
            case Recipient.Group g -> "group " + g.address() + " (" + g.dn() + ") members " + g.members()
                    + (g.allowedSenders().isEmpty() ? "; anyone may send" : "; only " + g.allowedSenders() + " may send");
            case Recipient.Forward fw -> "forward " + fw.mailbox().address() + " -> " + fw.targets()
                    + (fw.keepCopy() ? "; keeps a copy" : "; keeps no copy");
            case Recipient.Unknown u -> "unknown " + u.address() + " (550 5.1.1 in a local domain)";
        };
    }
}
