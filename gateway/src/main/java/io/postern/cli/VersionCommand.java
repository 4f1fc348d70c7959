package io.postern.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** {@code postern version}: the build's version and the Java runtime it runs on. */
@Command(name = "version", description = "Print the version of Postern and of the Java runtime.")
final class VersionCommand implements Runnable {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        for (String line : new Provider().getVersion()) {
            spec.commandLine().getOut().println(line);
        }
    }

    static final class Provider implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            String version = Main.class.getPackage().getImplementationVersion();
            return new String[] {
                "postern " + (version == null ? "development" : version),
                "java " + Runtime.version() + " (" + System.getProperty("java.vendor") + ")"
            };
        }
    }
}
