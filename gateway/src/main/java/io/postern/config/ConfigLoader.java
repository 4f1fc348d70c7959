package io.postern.config;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.snakeyaml.engine.v2.api.Load;
import org.snakeyaml.engine.v2.api.LoadSettings;
import org.snakeyaml.engine.v2.exceptions.MarkedYamlEngineException;
import org.snakeyaml.engine.v2.exceptions.YamlEngineException;

/**
 * Turns a YAML file into a {@link PosternConfig}, or a {@link ConfigException} listing every
 * problem. Relative paths in the file are resolved against the file's own folder.
 */
public final class ConfigLoader {
    private static final int MAX_FILE_BYTES = 1024 * 1024;

    private final SecretResolver secrets;

    public ConfigLoader(SecretResolver secrets) {
        this.secrets = secrets;
    }

    public static ConfigLoader withSystemEnvironment() {
        return new ConfigLoader(SecretResolver.fromSystem());
    }

    public PosternConfig load(Path file) {
        String text;
        try {
            if (Files.size(file) > MAX_FILE_BYTES) {
                throw new ConfigException(file + ": larger than 1 MiB, not a configuration file");
            }
            text = Files.readString(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new ConfigException(file + ": cannot read (" + e.getClass().getSimpleName() + ": " + e.getMessage() + ")");
        }
        Path base = file.toAbsolutePath().getParent();
        return parse(text, base, file.toString());
    }

    public PosternConfig parse(String yaml, Path base, String sourceName) {
        Object document;
        try {
            LoadSettings settings = LoadSettings.builder()
                    .setLabel(sourceName)
                    .setAllowDuplicateKeys(false)
                    .setMaxAliasesForCollections(10)
                    .build();
            document = new Load(settings).loadFromString(yaml);
        } catch (MarkedYamlEngineException e) {
            String where = e.getProblemMark().map(m -> "line " + (m.getLine() + 1) + ", column " + (m.getColumn() + 1))
                    .orElse("somewhere");
            throw new ConfigException(sourceName + ": not valid YAML at " + where + ": " + e.getProblem());
        } catch (YamlEngineException e) {
            throw new ConfigException(sourceName + ": not valid YAML: " + e.getMessage());
        }
        if (document == null) {
            document = Map.of();
        }
        if (!(document instanceof Map<?, ?> map)) {
            throw new ConfigException(sourceName + ": the top level must be a mapping of sections");
        }
        ConfigProblems problems = new ConfigProblems();
        ConfigNode root = ConfigNode.root(map, problems, base == null ? secrets : secrets.relativeTo(base));
        PosternConfig config = PosternConfig.from(root, base);
        root.finish();
        problems.throwIfAny();
        return config;
    }
}
