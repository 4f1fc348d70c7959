package io.postern.it.support;

import io.postern.testing.Await;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

/**
 * A real server or client process started by a test (slapd, samba, postfix, swaks...): output
 * goes to a log file in the test's folder, every wait is bounded, and {@link #close()} stops it
 * with SIGTERM, then SIGKILL. Mutable, one owner.
 */
public final class ExternalProcess implements AutoCloseable {
    private final String name;
    private final Process process;
    private final Path log;

    private ExternalProcess(String name, Process process, Path log) {
        this.name = name;
        this.process = process;
        this.log = log;
    }

    public static ExternalProcess start(String name, Path workDir, List<String> command) throws IOException {
        Files.createDirectories(workDir);
        Path log = workDir.resolve(name + ".log");
        Process process = new ProcessBuilder(command)
                .directory(workDir.toFile())
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
                .start();
        return new ExternalProcess(name, process, log);
    }

    /** Takes over a process the caller started (for example with its own environment). */
    public static ExternalProcess adopt(String name, Process process, Path log) {
        return new ExternalProcess(name, process, log);
    }

    /** Runs a command to completion (bounded) and returns its exit code and output. */
    public static Result run(Path workDir, Duration timeout, List<String> command) throws IOException, InterruptedException {
        return run(workDir, timeout, null, command);
    }

    public static Result run(Path workDir, Duration timeout, String stdin, List<String> command)
            throws IOException, InterruptedException {
        Files.createDirectories(workDir);
        Path out = Files.createTempFile(workDir, "run-", ".out");
        ProcessBuilder builder = new ProcessBuilder(command).directory(workDir.toFile()).redirectErrorStream(true)
                .redirectOutput(out.toFile());
        Process process = builder.start();
        try (var in = process.getOutputStream()) {
            if (stdin != null) {
                in.write(stdin.getBytes(StandardCharsets.UTF_8));
            }
        }
        if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
            process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
            throw new IllegalStateException(command.get(0) + " did not finish within " + timeout + ": "
                    + Files.readString(out));
        }
        return new Result(process.exitValue(), Files.readString(out, StandardCharsets.UTF_8));
    }

    public record Result(int exitCode, String output) {
    }

    /** Waits until {@code ready} holds, failing with the process log if it exits or the time runs out. */
    public void awaitReady(Duration timeout, BooleanSupplier ready) throws InterruptedException, IOException {
        long deadline = System.nanoTime() + Await.atLeast(timeout).toNanos();
        while (System.nanoTime() < deadline) {
            if (ready.getAsBoolean()) {
                return;
            }
            if (!process.isAlive()) {
                throw new IllegalStateException(name + " exited with " + process.exitValue() + ": " + logText());
            }
            Thread.sleep(50);
        }
        throw new IllegalStateException(name + " not ready within " + timeout + ": " + logText());
    }

    /** Waits until the process's output contains {@code text}. */
    public void awaitLog(Duration timeout, String text) throws InterruptedException, IOException {
        awaitReady(timeout, () -> {
            try {
                return logText().contains(text);
            } catch (IOException e) {
                return false;
            }
        });
    }

    public String logText() throws IOException {
        return Files.exists(log) ? Files.readString(log, StandardCharsets.UTF_8) : "";
    }

    public long pid() {
        return process.pid();
    }

    /** The exit code, waiting at most 20 s for the process to end. */
    public int exitCode() throws InterruptedException {
        if (!process.waitFor(20, TimeUnit.SECONDS)) {
            throw new IllegalStateException(name + " still running");
        }
        return process.exitValue();
    }

    public boolean isAlive() {
        return process.isAlive();
    }

    /** SIGKILL, for crash tests. */
    public void kill() throws InterruptedException {
        process.destroyForcibly();
        process.waitFor(10, TimeUnit.SECONDS);
    }

    @Override
    public void close() throws InterruptedException {
        if (!process.isAlive()) {
            return;
        }
        process.destroy();
        if (!process.waitFor(10, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            process.waitFor(10, TimeUnit.SECONDS);
        }
    }
}
