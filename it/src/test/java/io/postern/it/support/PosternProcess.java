package io.postern.it.support;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** Runs the real {@code postern} jar (the shaded gateway build) as a child process, like an operator would. */
public final class PosternProcess {
    private PosternProcess() {
    }

    /** The Postern checkout (set by failsafe), where ldif/ and the built jar are. */
    public static Path checkout() {
        return Path.of(System.getProperty("postern.home", "..")).toAbsolutePath().normalize();
    }

    public static Path jar() {
        Path jar = checkout().resolve("gateway/target/postern.jar");
        if (!Files.exists(jar)) {
            throw new IllegalStateException("build the gateway first: " + jar + " is missing");
        }
        return jar;
    }

    public static List<String> command(Path home, String... args) {
        List<String> command = new ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-XX:+UseSerialGC", "-Xmx256m", "--enable-native-access=ALL-UNNAMED",
                "-Dpostern.home=" + home, "-jar", jar().toString()));
        command.addAll(List.of(args));
        return command;
    }

    public static ExternalProcess start(String name, Path home, String... args) throws IOException {
        return ExternalProcess.start(name, home, command(home, args));
    }

    /** A fresh Postern home with the checkout's ldif/ folder, so a demo run leaves the checkout alone. */
    public static Path homeWithLdif(Path dir) throws IOException {
        Path ldif = dir.resolve("ldif");
        Files.createDirectories(ldif);
        try (var files = Files.walk(checkout().resolve("ldif"))) {
            for (Path source : files.toList()) {
                Path target = ldif.resolve(checkout().resolve("ldif").relativize(source).toString());
                if (Files.isDirectory(source)) {
                    Files.createDirectories(target);
                } else {
                    Files.copy(source, target);
                }
            }
        }
        return dir;
    }
}
