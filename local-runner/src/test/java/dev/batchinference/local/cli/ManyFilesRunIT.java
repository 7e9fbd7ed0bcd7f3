package dev.batchinference.local.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code ./pipeline run} with a command line of over 8,000 bytes, in a child JVM with every file and the class
 * path on it. ONNX Runtime's environment creation recurses over the command line, about three native frames
 * per byte; on a default-sized thread stack a command line this long killed the JVM with SIGSEGV. The length
 * is what matters, not the number of files: a few dozen files in a deep folder make it, each a job of its own.
 * {@code -Dmanyfiles.count=300} runs hundreds of files, as users do (about two minutes).
 */
class ManyFilesRunIT {
    private static final int FILES = Integer.getInteger("manyfiles.count", 32);

    @TempDir
    Path dir;

    @Test
    void runsACommandLineOfOverEightThousandBytes() throws IOException, InterruptedException {
        Path home = repositoryRoot();
        List<String> files = new ArrayList<>();
        List<String> iris = Files.readAllLines(home.resolve("samples/data/iris.csv"));
        Path folder = Files.createDirectories(dir.resolve("d".repeat(100)).resolve("e".repeat(100)).resolve("f".repeat(100)));
        for (int i = 0; i < FILES; i++) {
            Path file = folder.resolve("input-" + i + ".csv");
            Files.write(file, List.of(iris.get(0), iris.get(1 + i % (iris.size() - 1))));
            files.add(file.toString());
        }
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Dpipeline.home=" + home, "-cp", System.getProperty("java.class.path"),
                PipelineCli.class.getName(), "run"));
        command.addAll(files);
        command.addAll(List.of("--model", "iris", "--out", dir.resolve("out").toString(), "--json"));
        assertThat(String.join(" ", command).length()).as("long enough a command line to have crashed").isGreaterThan(8_000);
        Path stderr = dir.resolve("stderr.txt");
        Process process = new ProcessBuilder(command).redirectError(stderr.toFile()).start();
        byte[] stdout = process.getInputStream().readAllBytes();
        if (!process.waitFor(10, TimeUnit.MINUTES)) {
            process.destroyForcibly();
        }

        assertThat(process.exitValue()).as("exit code; stderr: %s", tail(stderr)).isZero();
        JsonNode jobs = new ObjectMapper().readTree(new String(stdout, StandardCharsets.UTF_8)).path("jobs");
        assertThat(jobs).hasSize(FILES);
        jobs.forEach(job -> {
            assertThat(job.path("state").asText()).isEqualTo("SUCCEEDED");
            assertThat(job.path("rowsOut").asLong()).isEqualTo(1);
        });
    }

    private static String tail(Path file) throws IOException {
        String text = Files.exists(file) ? Files.readString(file) : "";
        return text.length() > 2000 ? text.substring(text.length() - 2000) : text;
    }

    static Path repositoryRoot() {
        for (Path d = Path.of("").toAbsolutePath(); d != null; d = d.getParent()) {
            if (Files.isRegularFile(d.resolve("pipeline")) && Files.isDirectory(d.resolve("samples/models"))) {
                return d;
            }
        }
        throw new AssertionError("no repository above " + Path.of("").toAbsolutePath());
    }
}
