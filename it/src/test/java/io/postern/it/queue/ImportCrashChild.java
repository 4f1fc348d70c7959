package io.postern.it.queue;

import io.postern.queue.QueueImport;
import java.nio.file.Path;

/**
 * A real JVM for the import crash test: {@code SOURCE TARGET} runs {@code postern queue import}'s
 * work, printing {@code STEP step id} before each durable step (and pausing a millisecond, so a
 * SIGKILL lands between steps as often as inside one), then {@code DONE imported=N left=M}.
 */
public final class ImportCrashChild {
    private ImportCrashChild() {
    }

    public static void main(String[] args) throws Exception {
        QueueImport.Report report = QueueImport.run(Path.of(args[0]), Path.of(args[1]), (step, id) -> {
            System.out.println("STEP " + step + " " + id);
            System.out.flush();
            try {
                Thread.sleep(1);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        System.out.println("DONE imported=" + report.imported() + " left=" + report.leftBehind().size());
        System.out.print(report.text());
        System.out.flush();
    }
}
