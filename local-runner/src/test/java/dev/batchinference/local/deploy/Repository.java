package dev.batchinference.local.deploy;

import java.nio.file.Files;
import java.nio.file.Path;

/** Where the repository is, found from the test's working directory (Maven runs tests in the module). */
final class Repository {
    private Repository() {
    }

    static Path root() {
        for (Path dir = Path.of("").toAbsolutePath(); dir != null; dir = dir.getParent()) {
            if (Files.isRegularFile(dir.resolve("sam/template.yaml")) && Files.isRegularFile(dir.resolve("pom.xml"))) {
                return dir;
            }
        }
        throw new AssertionError("cannot find the repository (sam/template.yaml) above " + Path.of("").toAbsolutePath());
    }

    static Path samTemplate() {
        return root().resolve("sam/template.yaml");
    }

    static CloudFormationTemplate template() {
        return CloudFormationTemplate.read(samTemplate());
    }
}
