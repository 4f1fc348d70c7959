package io.postern.cli;

import io.postern.config.ConfigException;
import io.postern.config.ConfigLoader;
import io.postern.queue.QueueImport;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

/**
 * {@code postern queue import DIR}: moves every complete message of the stopped node's queue
 * directory DIR into this node's queue ({@code --queue-dir}, or {@code queue.directory} of
 * {@code --config}) while this node is stopped too, each exactly once ({@link QueueImport}).
 * Exit 0 when everything moved, 3 when files were left behind (listed), 1 when refused.
 */
@Command(name = "import", description = "Move every complete message of a stopped node's queue directory into"
        + " this (stopped) node's queue; same file system only.")
final class QueueImportCommand implements Callable<Integer> {
    @ParentCommand
    QueueCommand parent;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Parameters(paramLabel = "DIR", description = "the stopped node's queue directory")
    Path source;

    @Override
    public Integer call() throws Exception {
        Path target;
        if (parent.queueDir != null) {
            target = parent.queueDir;
        } else if (parent.configFile != null) {
            target = ConfigLoader.withSystemEnvironment().load(parent.configFile).queue().directory();
        } else {
            throw new ConfigException("import needs the local queue: --queue-dir DIR or --config FILE");
        }
        QueueImport.Report report;
        try {
            report = QueueImport.run(source, target);
        } catch (QueueImport.RefusedException e) {
            spec.commandLine().getErr().println("postern: " + e.getMessage());
            return Main.EXIT_RUNTIME;
        }
        PrintWriter out = spec.commandLine().getOut();
        out.print(report.text());
        out.flush();
        return report.leftBehind().isEmpty() ? Main.EXIT_OK : Main.EXIT_INCOMPLETE;
    }
}
