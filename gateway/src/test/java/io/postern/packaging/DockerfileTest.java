package io.postern.packaging;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.snakeyaml.engine.v2.api.Load;
import org.snakeyaml.engine.v2.api.LoadSettings;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Checks the Dockerfile without a container engine (none runs on the build machine; see
 * scripts/build-image.sh): the rules an image linter would apply that matter for Postern.
 */
class DockerfileTest {
    private static final Path DOCKERFILE = Path.of("..", "Dockerfile");
    private static final Pattern ARG_REF = Pattern.compile("\\$\\{(\\w+)}|\\$(\\w+)");

    private record Instruction(String keyword, String arguments) {
    }

    private static String text;
    private static List<Instruction> instructions;
    private static List<Instruction> finalStage;
    private static Map<String, String> args;

    @BeforeAll
    static void parse() throws IOException {
        text = Files.readString(DOCKERFILE);
        instructions = new ArrayList<>();
        StringBuilder logical = new StringBuilder();
        for (String line : text.split("\n")) {
            String trimmed = line.strip();
            if (logical.isEmpty() && (trimmed.isEmpty() || trimmed.startsWith("#"))) {
                continue;
            }
            if (trimmed.startsWith("#")) {
                continue; // a comment inside a continued instruction
            }
            if (trimmed.endsWith("\\")) {
                logical.append(trimmed, 0, trimmed.length() - 1).append(' ');
                continue;
            }
            logical.append(trimmed);
            String[] parts = logical.toString().split("\\s+", 2);
            instructions.add(new Instruction(parts[0].toUpperCase(Locale.ROOT), parts.length > 1 ? parts[1] : ""));
            logical.setLength(0);
        }
        args = new HashMap<>();
        int lastFrom = 0;
        for (int i = 0; i < instructions.size(); i++) {
            Instruction instruction = instructions.get(i);
            if (instruction.keyword().equals("ARG") && instruction.arguments().contains("=")) {
                String[] kv = instruction.arguments().split("=", 2);
                args.put(kv[0].strip(), kv[1].strip());
            }
            if (instruction.keyword().equals("FROM")) {
                lastFrom = i;
            }
        }
        finalStage = instructions.subList(lastFrom, instructions.size());
    }

    private static String resolve(String value) {
        Matcher m = ARG_REF.matcher(value);
        StringBuilder out = new StringBuilder();
        while (m.find()) {
            String name = m.group(1) != null ? m.group(1) : m.group(2);
            m.appendReplacement(out, Matcher.quoteReplacement(args.getOrDefault(name, m.group())));
        }
        return m.appendTail(out).toString();
    }

    private static List<Instruction> all(List<Instruction> in, String keyword) {
        return in.stream().filter(i -> i.keyword().equals(keyword)).toList();
    }

    @Test
    void everyBaseImageIsPinnedToAVersionOrDigest() {
        List<Instruction> froms = all(instructions, "FROM");
        assertThat(froms).isNotEmpty();
        for (Instruction from : froms) {
            String image = resolve(from.arguments().split("\\s+")[0]);
            if (image.contains("@sha256:")) {
                continue;
            }
            assertThat(image).as("FROM %s: a tag naming a version", from.arguments()).matches("[^:]+:[^:]*\\d[^:]*");
            assertThat(image).doesNotEndWith(":latest");
        }
    }

    @Test
    void theImageRunsAsANonRootUser() {
        List<Instruction> users = all(finalStage, "USER");
        assertThat(users).as("a USER in the final stage").isNotEmpty();
        String user = resolve(users.getLast().arguments()).split(":")[0];
        assertThat(user).isNotIn("root", "0");
        if (user.matches("\\d+")) {
            assertThat(Integer.parseInt(user)).isGreaterThanOrEqualTo(1000);
        }
        int userIndex = finalStage.indexOf(users.getLast());
        assertThat(finalStage.subList(userIndex, finalStage.size())).extracting(Instruction::keyword)
                .as("nothing runs as root after USER").doesNotContain("RUN");
    }

    @Test
    void nothingIsFetchedWithAdd() {
        for (Instruction add : all(instructions, "ADD")) {
            assertThat(add.arguments()).as("ADD of a URL: unverified download").doesNotContainPattern("https?://");
        }
    }

    @Test
    void theEntrypointIsExecFormKeepsUmask077AndTheSharedJvmFlags() {
        List<Instruction> entrypoints = all(finalStage, "ENTRYPOINT");
        assertThat(entrypoints).hasSize(1);
        // Exec form: a JSON array (a YAML flow sequence too), so that the JVM (after sh's exec) gets SIGTERM and drains.
        String json = entrypoints.getFirst().arguments();
        assertThat(json).startsWith("[").endsWith("]");
        List<?> argv = (List<?>) new Load(LoadSettings.builder().build()).loadFromString(json);
        String command = String.join(" ", argv.stream().map(Object::toString).toList());
        assertThat(command).contains("umask 077").contains("exec java").contains(". /opt/postern/jvm-options.sh")
                .contains("$(postern_jvm_options)");
        assertThat(all(finalStage, "COPY")).extracting(Instruction::arguments)
                .contains("scripts/lib/jvm-options.sh /opt/postern/jvm-options.sh");
        assertThat(all(finalStage, "CMD")).singleElement().extracting(Instruction::arguments).asString().startsWith("[");
    }

    @Test
    void exposedPortsAreUnprivileged() {
        for (Instruction expose : all(finalStage, "EXPOSE")) {
            for (String port : expose.arguments().split("\\s+")) {
                assertThat(Integer.parseInt(port.split("/")[0])).isGreaterThanOrEqualTo(1024);
            }
        }
    }

    @Test
    void aHealthcheckOrItsDocumentedAbsence() {
        assertThat(!all(finalStage, "HEALTHCHECK").isEmpty() || text.contains("No HEALTHCHECK:"))
                .as("HEALTHCHECK, or a comment 'No HEALTHCHECK:' saying why").isTrue();
    }
}
