package io.postern.cli;

import io.postern.config.PosternConfig;
import io.postern.directory.Directory;
import io.postern.directory.Lookup;
import io.postern.directory.ldap.DirectoryTrace;
import io.postern.mail.EnhancedStatus;
import io.postern.mail.MailAddress;
import io.postern.routing.Expansion;
import io.postern.routing.MailboxRouter;
import io.postern.routing.RelayDomainDirectory;
import io.postern.routing.RecipientExpander;
import java.io.PrintWriter;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code postern lookup --config FILE ADDRESS}: what the directory says about an address and how
 * it got there: profile, servers, each filter sent with its base and entry count, the
 * alias/group expansion tree, the mailboxes and remote addresses the mail goes to, the
 * transport chosen for each and why ({@link TransportExplanation}), and the decision. The expansion is the delivery's own ({@link RecipientExpander}, with the configured
 * {@code delivery} limits) run over a directory that records each question, so the explanation
 * cannot disagree with what delivery does. The directory is asked directly (no cache).
 * Exit codes: see {@link #EXIT_REFUSED} and docs/cli.md.
 */
@Command(name = "lookup", description = {
        "Explain what the directory says about an address and where",
        "delivery would put its mail (like postmap -q, with the reasons).",
        "Exit status: 0 deliverable, 1 unknown (or not in a local domain),",
        "77 refused (disabled, sender not permitted, loop, too many",
        "recipients), 75 directory unavailable, 2 bad usage."})
final class LookupCommand implements Callable<Integer> {
    /** Unknown address, or an address in a domain that is not local. */
    static final int EXIT_UNKNOWN = 1;
    /** sysexits.h EX_NOPERM: the address exists but delivery refuses it (disabled, not permitted, loop, limits). */
    static final int EXIT_REFUSED = 77;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Mixin
    DirectoryCommandSupport support;

    @Option(names = "--from", paramLabel = "SENDER", description = {
            "the sender of an authenticated session (groups that list allowed senders believe only that);",
            "without it, the answer is the one for mail from outside"})
    String from;

    @Parameters(paramLabel = "ADDRESS", description = "the address to look up, like info@example.test")
    String address;

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        Optional<MailAddress> parsed = MailAddress.parse(address);
        if (parsed.isEmpty()) {
            err.println("postern: '" + address + "' is not an address Postern accepts");
            return Main.EXIT_USAGE;
        }
        Optional<MailAddress> sender = Optional.empty();
        if (from != null) {
            sender = MailAddress.parse(from);
            if (sender.isEmpty()) {
                err.println("postern: --from '" + from + "' is not an address Postern accepts");
                return Main.EXIT_USAGE;
            }
        }
        try (DirectoryCommandSupport.Session session = support.open(spec.commandLine())) {
            var directory = session.directory();
            out.println("profile:  " + directory.profileName());
            out.println("servers:  " + directory.servers());
            out.println("cache:    not used (lookup asks the directory directly)");
            var service = directory.serviceAccountProblem();
            if (service.isPresent()) {
                out.println("decision: try again later (451 4.4.3): " + service.get());
                return DirectoryCommandSupport.EXIT_TEMPFAIL;
            }
            DirectoryTrace trace = DirectoryTrace.recording();
            PosternConfig config = session.config();
            Directory traced = RelayDomainDirectory.wrap(directory.traced(trace), config.routing());
            MailAddress recipient = parsed.get();
            Lookup<Boolean> local = traced.isLocalDomain(recipient.domain());
            if (!(local instanceof Lookup.Found<Boolean> found && found.value())) {
                printSteps(out, trace);
                return notLocal(out, recipient, local);
            }
            Expansion expansion = expander(config, traced).expand(recipient, sender);
            printSteps(out, trace);
            TransportExplanation transports = new TransportExplanation(config);
            out.println("domain:   " + recipient.domain() + " is " + transports.domain(recipient.domain()));
            int exit = decide(out, expansion);
            transports.print(out, expansion);
            return exit;
        } finally {
            out.flush();
        }
    }

    static RecipientExpander expander(PosternConfig config, Directory directory) {
        return new RecipientExpander(directory, config.delivery().maxExpansionDepth(),
                config.delivery().maxExpandedRecipients(), new MailboxRouter(config.routing(), config.node().hostname()));
    }

    private static void printSteps(PrintWriter out, DirectoryTrace trace) {
        out.println("steps:");
        trace.lines().forEach(line -> out.println("  " + line));
    }

    private static int notLocal(PrintWriter out, MailAddress recipient, Lookup<Boolean> local) {
        if (local instanceof Lookup.TempFail<Boolean> t) {
            out.println("domain:   " + recipient.domain() + " could not be checked (" + t.reason() + ")");
            out.println("decision: try again later (451 4.4.3)");
            return DirectoryCommandSupport.EXIT_TEMPFAIL;
        }
        out.println("domain:   " + recipient.domain() + " is not local");
        out.println("decision: not a local address: the directory is not asked about it; Postern relays mail to it"
                + " only for authenticated sessions and trusted networks (others get 554 5.7.1)");
        return EXIT_UNKNOWN;
    }

    /** The delivery's verdict on the expansion: a permanent problem fails the recipient, else a temporary one defers it. */
    static int decide(PrintWriter out, Expansion expansion) {
        List<String> mailboxes = expansion.local().stream().map(t -> t.mailbox().address()
                + t.mailbox().spool().map(spool -> " (spool " + spool + ")").orElse("")).toList();
        out.println("mailboxes: " + (mailboxes.isEmpty() ? "(none)" : String.join(", ", mailboxes)));
        if (!expansion.remote().isEmpty()) {
            out.println("remote:   " + String.join(", ", expansion.remote().stream().map(MailAddress::toString).toList())
                    + " (sent on by outbound delivery)");
        }
        expansion.problems().forEach(p -> out.println("problem:  " + describe(p)));
        Optional<Expansion.Problem.Permanent> permanent = expansion.problems().stream()
                .flatMap(p -> p instanceof Expansion.Problem.Permanent perm ? java.util.stream.Stream.of(perm)
                        : java.util.stream.Stream.empty()).findFirst();
        if (permanent.isPresent()) {
            Expansion.Problem.Permanent p = permanent.get();
            if (p.enhancedCode().equals(EnhancedStatus.NO_SUCH_USER) && p.address().key().equals(expansion.recipient().key())) {
                out.println("decision: unknown " + expansion.recipient() + " (550 5.1.1)");
                return EXIT_UNKNOWN;
            }
            out.println("decision: refused (" + p.enhancedCode() + " " + p.address() + ": " + p.reason() + ")");
            return EXIT_REFUSED;
        }
        if (expansion.problems().stream().anyMatch(p -> p instanceof Expansion.Problem.Temporary)) {
            out.println("decision: try again later (4.4.3): delivery defers it until the directory answers");
            return DirectoryCommandSupport.EXIT_TEMPFAIL;
        }
        out.println("decision: deliverable");
        return Main.EXIT_OK;
    }

    private static String describe(Expansion.Problem problem) {
        return switch (problem) {
            case Expansion.Problem.Permanent p -> p.address() + ": " + p.enhancedCode() + " " + p.reason();
            case Expansion.Problem.Temporary t -> t.address() + ": " + t.enhancedCode() + " " + t.reason()
                    + " (temporary)";
        };
    }
}
